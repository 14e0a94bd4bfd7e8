// A y/N question on the terminal. Anything but y or yes is a no; a closed input (Ctrl+D) or Ctrl+C means "stop
// asking", so a command never waits on input that cannot come.
import { createInterface } from 'node:readline/promises';

export type YesNoAnswer = 'yes' | 'no' | 'stop';

export async function askYesNo(
  question: string,
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<YesNoAnswer> {
  const lines = createInterface({ input, output, terminal: input.isTTY === true });
  try {
    const ended = new Promise<null>((resolve) => {
      lines.once('close', () => resolve(null));
      lines.once('SIGINT', () => resolve(null));
    });
    const answer = await Promise.race([lines.question(question).catch(() => null), ended]);
    if (answer === null) {
      output.write('\n');
      return 'stop';
    }
    return /^\s*y(es)?\s*$/i.test(answer) ? 'yes' : 'no';
  } finally {
    lines.close();
  }
}
