// Questions on the terminal for the options a user left out. Only ever used when both stdin and stdout are a
// terminal: with no terminal, commands use defaults and never wait for input.
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../util/usage-error.js';

export interface Asker {
  /** Asks one question; an empty answer takes the default. */
  ask(question: string, defaultValue: string): Promise<string>;
  close(): void;
}

function cancelled(): UsageError {
  return new UsageError('cancelled before every question was answered (the input was closed); nothing was created. Pass the options on the command line to skip the questions (see --help).');
}

export function createTerminalAsker(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Asker {
  const lines = createInterface({ input, output, terminal: (input as { isTTY?: boolean }).isTTY === true });
  let closed = false;
  lines.on('close', () => (closed = true));
  return {
    ask(question, defaultValue) {
      if (closed) return Promise.reject(cancelled());
      return new Promise((resolve, reject) => {
        // Ctrl+D (or a closed pipe) ends the input: stop with a clear message instead of waiting forever.
        const onClose = () => reject(cancelled());
        lines.once('close', onClose);
        const shownDefault = defaultValue.length > 40 ? `${defaultValue.slice(0, 37)}…` : defaultValue;
        lines.question(`${question}${shownDefault ? ` [${shownDefault}]` : ''}: `).then(
          (answer) => {
            lines.off('close', onClose);
            resolve(answer.trim() === '' ? defaultValue : answer.trim());
          },
          (error: unknown) => {
            lines.off('close', onClose);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    },
    close() {
      lines.close();
    },
  };
}
