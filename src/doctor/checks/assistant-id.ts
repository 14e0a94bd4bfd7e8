// Check: Assistant ID. (To be implemented.)
import type { Check } from '../check.js';

export const assistantIdCheck: Check = {
  id: 'assistant-id',
  title: 'Assistant ID',
  online: true,
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
