// Check: Port. (To be implemented.)
import type { Check } from '../check.js';

export const portCheck: Check = {
  id: 'port',
  title: 'Port',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
