// The progress spinner the commands show while they wait on the network: drawn only where it can draw cleanly, and
// coloured only when the rest of the output is.
import type { Ora } from 'ora';
import type { Output } from './output.js';

/**
 * Whether a spinner may draw on `stream`: only on a terminal, and only one that reports its width. The spinner
 * measures its lines by the width, and a terminal that reports 0 columns (some containers and editor shells) would
 * make it clear lines forever, so the command would never finish.
 */
export function spinnerWanted(output: Output, stream: Pick<NodeJS.WriteStream, 'isTTY' | 'columns'>): boolean {
  return output.isTTY && stream.isTTY === true && (stream.columns ?? 0) > 0;
}

export interface SpinnerOptions {
  /** False when questions may follow that read stdin with readline, which the spinner must not take over. */
  discardStdin?: boolean;
}

/** A started spinner on `stream`, or undefined where none is wanted. */
export async function startSpinner(output: Output, stream: NodeJS.WriteStream, text: string, options: SpinnerOptions = {}): Promise<Ora | undefined> {
  if (!spinnerWanted(output, stream)) return undefined;
  const { default: ora } = await import('ora');
  // Coloured only when the rest of the output is (NO_COLOR, FORCE_COLOR=0): the spinner would colour itself otherwise.
  const color = output.chalk.level > 0 ? 'cyan' : false;
  return ora({ text, stream, color, ...(options.discardStdin === false ? { discardStdin: false } : {}) }).start();
}
