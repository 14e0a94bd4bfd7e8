// Check: Required variables. (To be implemented.)
import type { Check } from '../check.js';

export const requiredVarsCheck: Check = {
  id: 'required-vars',
  title: 'Required variables',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
