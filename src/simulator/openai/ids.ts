// Random IDs in the shape the real API returns.
import { randomBytes } from 'node:crypto';

export function fakeId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}
