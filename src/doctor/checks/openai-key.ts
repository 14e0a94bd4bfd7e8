// Check: OpenAI API key. (To be implemented.)
import type { Check } from '../check.js';

export const openaiKeyCheck: Check = {
  id: 'openai-key',
  title: 'OpenAI API key',
  online: true,
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
