// Check: Twilio credentials. (To be implemented.)
import type { Check } from '../check.js';

export const twilioCredentialsCheck: Check = {
  id: 'twilio-credentials',
  title: 'Twilio credentials',
  online: true,
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
