// Check: .env file. (To be implemented.)
import type { Check } from '../check.js';

export const envFileCheck: Check = {
  id: 'env-file',
  title: '.env file',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
