import { describe, expect, it } from 'vitest';
import { maskSecret, redactSecrets } from '../../src/util/mask-secret.js';

describe('maskSecret', () => {
  it('keeps the key prefix and the last four characters only', () => {
    expect(maskSecret('sk-proj-abcdefghijklmnopqrstuvwxyz1234')).toBe('sk-proj-…1234');
    expect(maskSecret('sk-abcdefghijklmnopqrstuvwxyz9876')).toBe('sk-…9876');
  });

  it('hides short secrets entirely', () => {
    expect(maskSecret('sk-short')).toBe('sk-…');
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence of each secret', () => {
    const token = '0123456789abcdef0123456789abcdef';
    const text = `token=${token} again ${token}`;
    const redacted = redactSecrets(text, [token]);
    expect(redacted).not.toContain(token);
    expect(redacted).toBe('token=…cdef again …cdef');
  });
});
