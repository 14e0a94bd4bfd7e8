// Check: Realtime model. (To be implemented.)
import type { Check } from '../check.js';

export const realtimeModelCheck: Check = {
  id: 'realtime-model',
  title: 'Realtime model',
  online: true,
  async run() {
    return { status: 'skip', summary: 'not implemented yet' };
  },
};
