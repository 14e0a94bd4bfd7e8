// Shows a .env change the way a user reads it: the line numbers, the removed lines and the added ones.
// Output goes through Output, which masks every secret, so an API key on a neighbouring line never shows.
import type { ChalkInstance } from 'chalk';
import type { DiffHunk } from '../config/line-diff.js';

/** Stands for an ID that does not exist yet (a dry run): plain, so the editor writes it exactly like a real one. */
export const NEW_ID_PLACEHOLDER = 'NEW_ID_FROM_OPENAI';

export function renderEnvChange(hunks: readonly DiffHunk[], chalk: ChalkInstance, placeholderText = '<the new ID>'): string[] {
  const show = (line: string) => line.split(NEW_ID_PLACEHOLDER).join(placeholderText);
  const lines: string[] = [];
  for (const hunk of hunks) {
    lines.push(chalk.dim(hunk.removed.length > 0 ? `  line ${hunk.oldLine}:` : `  new line ${hunk.newLine}:`));
    for (const removed of hunk.removed) lines.push(chalk.red(`  - ${show(removed)}`));
    for (const added of hunk.added) lines.push(chalk.green(`  + ${show(added)}`));
  }
  return lines;
}
