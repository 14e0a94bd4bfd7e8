// What the demo's caller says: one line per turn, from --script FILE or the default conversation.
import { readFile } from 'node:fs/promises';

export const DEFAULT_DEMO_SCRIPT: readonly string[] = ['Hi, are you open on Saturday?', 'Can I book a table for two at seven?', 'Great, thank you. Goodbye!'];

/** A caller's turn is a sentence or two; a line the simulated agent can read back within the demo's wait for a reply. */
export const MAX_DEMO_LINE_CHARACTERS = 500;

/** A script file that cannot be used; the message says why and what a script looks like. */
export class DemoScriptError extends Error {}

/** The caller's lines: one per non-empty line of the file; lines starting with # are comments. */
export async function readDemoScript(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DemoScriptError(`cannot read the script ${path}: ${code === 'ENOENT' ? 'there is no such file' : (error as Error).message}.`);
  }
  const numbered = text
    .split(/\r?\n/)
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
  // The simulated agent reads each line back: a page-long line makes a reply longer than the caller waits for one.
  const tooLong = numbered.find(({ line }) => line.length > MAX_DEMO_LINE_CHARACTERS);
  if (tooLong) {
    throw new DemoScriptError(
      `line ${tooLong.number} of the script ${path} is ${tooLong.line.length} characters long; the demo takes at most ${MAX_DEMO_LINE_CHARACTERS} per line. ` +
        'Split it into several lines: each line is one thing the caller says, e.g. "Are you open on Saturday?".',
    );
  }
  const lines = numbered.map(({ line }) => line);
  if (lines.length === 0) throw new DemoScriptError(`the script ${path} has no lines. Write one line per thing the caller says, e.g. "Are you open on Saturday?".`);
  return lines;
}
