// Shows a .env change the way `doctor --fix` offers it: where, the removed lines and the added ones, with every
// secret masked, including the cleaned or renamed form of a secret that no list of known secrets holds yet.
import type { DiffHunk } from '../../config/line-diff.js';
import { maskSecret, redactSecrets } from '../../util/mask-secret.js';
import { intendedVariable } from '../misnamed-variables.js';

/** An assignment, also inside a comment (`# OPENAI_API_KEY=…` once commented out): prefix, key, the rest. */
const ASSIGNMENT = /^(\s*(?:#\s*)?(?:export\s+)?([\w.-]+)(?:\s*=\s*|:\s+))(.*)$/;
/** Names that hold secrets, here or in other tools sharing the file (NGROK_AUTHTOKEN, DATABASE_PASSWORD…). */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL/i;
/** A run of characters long enough to be (part of) a secret. */
const SECRET_RUN = /[\w+/=.-]{8,}/g;

function holdsSecret(key: string): boolean {
  return SECRET_NAME.test(key) || SECRET_NAME.test(intendedVariable(key) ?? '');
}

/** The line with the value of a secret-holding variable masked, and every known secret masked wherever it appears. */
export function maskEnvLine(line: string, secrets: readonly string[]): string {
  const match = ASSIGNMENT.exec(line);
  let shown = line;
  if (match && holdsSecret(match[2]!)) shown = match[1]! + match[3]!.replace(SECRET_RUN, (run) => maskSecret(run));
  return redactSecrets(shown, secrets);
}

/** Plain lines (`line 4:`, `- old`, `+ new`) for a line diff; a renderer colours them. */
export function showEnvChange(hunks: readonly DiffHunk[], secrets: readonly string[]): string[] {
  const lines: string[] = [];
  for (const hunk of hunks) {
    lines.push(hunk.removed.length > 0 ? `line ${hunk.oldLine}:` : `new line ${hunk.newLine}:`);
    for (const removed of hunk.removed) lines.push(`- ${maskEnvLine(removed, secrets)}`);
    for (const added of hunk.added) lines.push(`+ ${maskEnvLine(added, secrets)}`);
  }
  return lines;
}
