// VOICEBRIDGE_TODAY: the day the doctor, serve and create-assistant judge shutdown dates on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockFromEnvironment, systemClock } from '../../src/util/clock.js';
import { runCli } from '../helpers/run-cli.js';

describe('VOICEBRIDGE_TODAY', () => {
  it('fixes the day at noon UTC, so it is that day in every time zone', () => {
    expect(clockFromEnvironment({ VOICEBRIDGE_TODAY: '2027-01-21' }).now().toISOString()).toBe('2027-01-21T12:00:00.000Z');
    expect(clockFromEnvironment({ VOICEBRIDGE_TODAY: ' 2027-01-21 ' }).now().toISOString()).toBe('2027-01-21T12:00:00.000Z');
  });

  it('takes a full ISO date and time as it is', () => {
    expect(clockFromEnvironment({ VOICEBRIDGE_TODAY: '2027-01-20T23:30:00Z' }).now().toISOString()).toBe('2027-01-20T23:30:00.000Z');
  });

  it('leaves the system clock when it is not set or empty', () => {
    expect(clockFromEnvironment({})).toBe(systemClock);
    expect(clockFromEnvironment({ VOICEBRIDGE_TODAY: '' })).toBe(systemClock);
  });

  it('refuses what is not a day, naming the value and how to write it', () => {
    for (const value of ['tomorrow', '2027-1-5', '21/01/2027', '2027-13-01', '2027-02-30']) {
      expect(() => clockFromEnvironment({ VOICEBRIDGE_TODAY: value })).toThrow(
        `VOICEBRIDGE_TODAY=${value} is not a date. Write it as YYYY-MM-DD (e.g. VOICEBRIDGE_TODAY=2027-01-21), or unset it to use today's date.`,
      );
    }
  });

  it('makes the doctor say how to write it instead of a bare "Not a date"', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'voicebridge-clock-'));
    try {
      const result = await runCli(['doctor'], { cwd: folder, env: { VOICEBRIDGE_TODAY: 'tomorrow' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('VOICEBRIDGE_TODAY=tomorrow is not a date. Write it as YYYY-MM-DD');
      expect(result.stdout).toBe('');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
