// Check: Phone number. (To be implemented.)
import type { Check } from '../check.js';

export const phoneNumberCheck: Check = {
  id: 'phone-number',
  title: 'Phone number',
  online: true,
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
