import { describe, expect, it } from 'vitest';
import { createBridgeLog } from '../../src/log/call-log.js';

const KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ';
const at = () => new Date('2026-11-24T10:11:12.345Z');

describe('the call log', () => {
  it('writes one readable line per event, tagged with the CallSid', () => {
    const lines: string[] = [];
    const log = createBridgeLog({ format: 'text', write: (line) => lines.push(line), now: at });
    log.forCall('CA0123456789abcdef0123456789abcdef').info('Customer said: hello');
    log.info('Listening');
    expect(lines).toEqual(['10:11:12.345 [CA0123456789abcdef0123456789abcdef] Customer said: hello', '10:11:12.345 Listening']);
  });

  it('writes one JSON object per line for machines, with the CallSid as a field', () => {
    const lines: string[] = [];
    const log = createBridgeLog({ format: 'json', write: (line) => lines.push(line), now: at });
    log.forCall('CA0123456789abcdef0123456789abcdef').warn('Agent slow', { kind: 'timeout' });
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { time: '2026-11-24T10:11:12.345Z', level: 'warn', callSid: 'CA0123456789abcdef0123456789abcdef', msg: 'Agent slow', kind: 'timeout' },
    ]);
  });

  it('keeps one event on one line when outside words carry line breaks', () => {
    const lines: string[] = [];
    const log = createBridgeLog({ format: 'text', write: (line) => lines.push(line), now: at });
    log.forCall('CA0123456789abcdef0123456789abcdef').info('Customer said: hi\n10:11:12.345 [CAforged] Call ended\r\nbye');
    expect(lines).toEqual(['10:11:12.345 [CA0123456789abcdef0123456789abcdef] Customer said: hi ⏎ 10:11:12.345 [CAforged] Call ended ⏎ bye']);
  });

  it('writes control characters from outside words as escapes, so they cannot drive the terminal showing the log', () => {
    const lines: string[] = [];
    const log = createBridgeLog({ format: 'text', write: (line) => lines.push(line), now: at });
    log.forCall('CA0123456789abcdef0123456789abcdef').info('Incoming call from +1\u001b]0;owned\u0007\u001b[2J\u009b31m\u007f to +2\tx');
    expect(lines).toEqual(['10:11:12.345 [CA0123456789abcdef0123456789abcdef] Incoming call from +1\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x7f to +2\tx']);
  });

  it('never writes a secret, in either format', () => {
    for (const format of ['text', 'json'] as const) {
      const lines: string[] = [];
      const log = createBridgeLog({ format, write: (line) => lines.push(line), secrets: [KEY] });
      log.forCall('CA1').error(`OpenAI refused key ${KEY}`, { header: `Bearer ${KEY}` });
      expect(lines.join('\n')).not.toContain(KEY);
      expect(lines.join('\n')).toContain('sk-proj-…WXYZ');
    }
  });
});
