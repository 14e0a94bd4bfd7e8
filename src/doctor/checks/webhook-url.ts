// Check: Webhook URL. (To be implemented.)
import type { Check } from '../check.js';

export const webhookUrlCheck: Check = {
  id: 'webhook-url',
  title: 'Webhook URL',
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
