// `doctor --explain`: turns a pasted error message, error code or ID into its cause and fix. (To be implemented.)
import type { ChalkInstance } from 'chalk';

export interface Explanation {
  matched: boolean;
  input: string;
  title: string;
  cause: string;
  fix: string;
}

export function explainText(input: string): Explanation {
  return { matched: false, input, title: 'Unknown', cause: 'not implemented yet', fix: '' };
}

export function renderExplanation(explanation: Explanation, chalk: ChalkInstance): string {
  return `${chalk.bold(explanation.title)}\n${explanation.cause}\n${explanation.fix}`;
}
