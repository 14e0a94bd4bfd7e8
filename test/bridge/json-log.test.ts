// The JSON log (pino) that `serve --log-format json` writes: one object per line, the CallSid on every line of a
// call, never a secret — both for a single line and for a whole call through the real bridge.
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonLog } from '../../src/log/json-log.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { FAKE_OPENAI_KEY } from '../fakes/openai/fake-openai.js';
import { eventually, startCallBridge, TWILIO_AUTH_TOKEN, type CallBridge } from './call-harness.js';

const KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ';
const CALL_SID = 'CA0123456789abcdef0123456789abcdef';

let bridge: CallBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

function parse(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the JSON log', () => {
  it('writes one object per line: ISO time, level name, the CallSid, the message and its fields', () => {
    const lines: string[] = [];
    const log = createJsonLog({ write: (line) => lines.push(line), now: () => new Date('2026-11-24T10:11:12.345Z') });
    log.forCall(CALL_SID).warn('Agent slow', { kind: 'timeout' });
    log.info('Listening');
    const [call, server] = parse(lines);
    expect(call).toMatchObject({ time: '2026-11-24T10:11:12.345Z', level: 'warn', callSid: CALL_SID, msg: 'Agent slow', kind: 'timeout' });
    expect(call).toHaveProperty('hostname');
    expect(server).toMatchObject({ level: 'info', msg: 'Listening' });
    expect(server).not.toHaveProperty('callSid');
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
  });

  it('masks secrets in messages and in fields, and censors secret-named fields', () => {
    const lines: string[] = [];
    const log = createJsonLog({ write: (line) => lines.push(line), secrets: [KEY] });
    log.forCall(CALL_SID).error(`OpenAI refused key ${KEY}`, { header: `Bearer ${KEY}`, apiKey: 'anything', request: { authorization: 'Basic abc' } });
    const text = lines.join('\n');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('Basic abc');
    const [line] = parse(lines);
    expect(line).toMatchObject({ msg: 'OpenAI refused key sk-proj-…WXYZ', header: 'Bearer sk-proj-…WXYZ', apiKey: '[redacted]', request: { authorization: '[redacted]' } });
  });

  it('carries the CallSid on every line of a whole call, in the seed\'s words, with no secret anywhere', async () => {
    const lines: string[] = [];
    const log = createJsonLog({ write: (line) => lines.push(line), secrets: [FAKE_OPENAI_KEY, TWILIO_AUTH_TOKEN] });
    bridge = await startCallBridge('responses', { server: { log } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.say('Do you bake bread');
    await caller.waitToHear('You said: Do you bake bread.');
    // The reply is logged whole once the agent has finished it, which may be after its first sentence is heard.
    await eventually(() => lines.some((line) => line.includes('← Assistant')), "the agent's whole reply is logged");
    await caller.hangUp();
    await eventually(() => lines.some((line) => line.includes('Call ended')), 'the call has ended');

    const entries = parse(lines);
    expect(entries.length).toBeGreaterThan(5);
    expect(entries.filter((entry) => entry.callSid !== caller.callSid)).toEqual([]);
    expect(entries.map((entry) => entry.msg)).toEqual(
      expect.arrayContaining([
        'Connected to OpenAI Realtime',
        'Customer said: Do you bake bread',
        '→ Assistant: Do you bake bread',
        expect.stringMatching(/^← Assistant: You said: Do you bake bread\./),
        'Call ended (caller hung up)',
      ]),
    );
    const text = lines.join('\n');
    expect(text).not.toContain(FAKE_OPENAI_KEY);
    expect(text).not.toContain(TWILIO_AUTH_TOKEN);
  });
});
