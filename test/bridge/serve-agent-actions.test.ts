// The agent acts on the call, end to end through the bridge as Twilio and OpenAI would see it: it hangs up once its
// goodbye has played, hands the caller to a configured person, hears the keypad, and calls the business's own
// functions at TOOLS_URL — on every backend, and on both voice engines.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrainBackend } from '../../src/agents/brain.js';
import { AGENT_TRANSFERRING } from '../../src/call/caller-messages.js';
import { verifyVoicebridgeSignature } from '../../src/call/tools-endpoint.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { eventually, startCallBridge, type CallBridge } from './call-harness.js';

let bridge: CallBridge | undefined;
let toolsServer: Server | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  await new Promise<void>((resolve) => (toolsServer ? toolsServer.close(() => resolve()) : resolve()));
  toolsServer = undefined;
});

const BACKENDS: BrainBackend[] = ['agents', 'responses', 'assistants'];
const GOODBYE = 'Goodbye, and thanks for calling!';

/** The tool names offered to the agent on its latest turn. */
function offeredToolNames(): string[] {
  const turn = bridge!.fake.agentTurns.at(-1);
  return (turn?.offeredTools ?? []).map((tool) => {
    const entry = tool as { name?: string; function?: { name?: string } };
    return entry.name ?? entry.function?.name ?? '?';
  });
}

describe.each(BACKENDS)('on the %s backend', (backend) => {
  it('ends the call through Twilio once the agent’s goodbye has played, not before', async () => {
    bridge = await startCallBridge(backend);
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = { reply: () => GOODBYE, functionCall: { name: 'end_call', arguments: '{"reason":"the caller is done"}' }, afterTool: () => '' };
    await caller.say('That is all, thank you');
    await caller.waitToHear(GOODBYE);
    await eventually(() => bridge!.call(caller).updates.length === 1, 'the call was hung up through the REST API');
    expect(bridge.call(caller).updates).toEqual([{ Status: 'completed' }]);
    await eventually(() => bridge!.callLog(caller).some((line) => line.includes('Hung up the call through Twilio')), 'the hang-up was logged');
    const log = bridge.callLog(caller).join('\n');
    expect(log).toContain('Agent ended the call: the caller is done');
    // The hang-up came after the goodbye was heard to its end, which the caller's mark echo reports.
    expect(log.indexOf("Hung up the call through Twilio after the agent's goodbye")).toBeGreaterThan(log.indexOf('← Assistant: Goodbye'));
    expect(offeredToolNames()).toContain('end_call');
  });

  it('transfers the caller to a TRANSFER_TARGETS destination with <Say> then <Dial>, and counts it', async () => {
    bridge = await startCallBridge(backend, { env: { TRANSFER_TARGETS: 'sales=+14155550111,support=+14155550122' } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = {
      reply: () => 'Let me put you through to sales.',
      functionCall: { name: 'transfer_call', arguments: '{"destination":"sales","reason":"wants a quote"}' },
      afterTool: () => '',
    };
    await caller.say('I would like a quote');
    await caller.waitToHear('Let me put you through to sales.');
    await eventually(() => bridge!.call(caller).updates.length === 1, 'the call was transferred through the REST API');
    expect(bridge.call(caller).updates[0]!.Twiml).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${AGENT_TRANSFERRING}</Say><Dial>+14155550111</Dial></Response>`,
    );
    expect(offeredToolNames()).toEqual(expect.arrayContaining(['end_call', 'transfer_call']));
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.server.port}/metrics`)).text();
    expect(metrics).toMatch(/voicebridge_calls_total\{outcome="transferred"\} 1/);
  });
});

describe('transfer destinations', () => {
  it('refuses one the agent invents back to it, and dials nothing', async () => {
    bridge = await startCallBridge('agents', { env: { TRANSFER_TARGETS: 'sales=+14155550111' } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = {
      reply: () => '',
      functionCall: { name: 'transfer_call', arguments: '{"destination":"+19995550000"}' },
      afterTool: (results) => (JSON.parse(results[0]!.output) as { error: string }).error,
    };
    await caller.say('Call my lawyer');
    await caller.waitToHear('There is no transfer destination "+19995550000"; nothing was dialled.');
    expect(bridge.call(caller).updates).toEqual([]);
    expect(bridge.callLog(caller).join('\n')).toContain("Refused the agent's transfer");
  });
});

describe('the keypad', () => {
  it('reaches the agent as one message for keys pressed together, up to #', async () => {
    bridge = await startCallBridge('responses');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    caller.pressKeys('1234#');
    await caller.waitToHear('on the keypad');
    const log = bridge.callLog(caller).join('\n');
    expect(log).toContain('Customer pressed: 1 2 3 4 #');
    expect(log).toContain('→ Assistant: The caller pressed 1 2 3 4 # on the keypad.');
    expect(bridge.fake.agentTurns.at(-1)?.input).toContain('The caller pressed 1 2 3 4 # on the keypad.');
  });

  it('reaches the agent on GPT-Live too', async () => {
    bridge = await startCallBridge('agents', { env: { VOICE_ENGINE: 'live' } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    caller.pressKeys('42#');
    await caller.waitToHear('on the keypad');
    expect(bridge.fake.agentTurns.at(-1)?.input).toContain('The caller pressed 4 2 # on the keypad.');
  });
});

describe('GPT-Live', () => {
  it('ends the call once the agent’s goodbye has played', async () => {
    bridge = await startCallBridge('agents', { env: { VOICE_ENGINE: 'live' } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = { reply: () => GOODBYE, functionCall: { name: 'end_call', arguments: '{}' }, afterTool: () => '' };
    await caller.say('Bye now');
    await caller.waitToHear(GOODBYE);
    await eventually(() => bridge!.call(caller).updates.length === 1, 'the call was hung up through the REST API');
    expect(bridge.call(caller).updates).toEqual([{ Status: 'completed' }]);
  });
});

describe('the business’s own functions at TOOLS_URL', () => {
  const SECRET = 'tools-secret-0123456789abcdef';

  async function startToolsServer(answer: (body: string) => { status: number; body: string; delayMs?: number }): Promise<{ url: string; requests: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> }> {
    const requests: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    toolsServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        requests.push({ headers: request.headers, body });
        const reply = answer(body);
        setTimeout(() => {
          response.writeHead(reply.status, { 'content-type': 'application/json' });
          response.end(reply.body);
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => toolsServer!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(toolsServer.address() as AddressInfo).port}/tools`, requests };
  }

  it('POSTs a signed request with the call, and the agent speaks from the answer', async () => {
    const tools = await startToolsServer(() => ({ status: 200, body: '{"status":"shipped"}' }));
    bridge = await startCallBridge('responses', { env: { TOOLS_URL: tools.url, TOOLS_SECRET: SECRET } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = {
      reply: () => '',
      functionCall: { name: 'lookup_order', arguments: '{"order":"42"}' },
      afterTool: (results) => `Your order is ${(JSON.parse(results[0]!.output) as { status: string }).status}.`,
    };
    await caller.say('Where is my order');
    await caller.waitToHear('Your order is shipped.');
    expect(tools.requests).toHaveLength(1);
    const [request] = tools.requests;
    expect(JSON.parse(request!.body)).toEqual({ call_sid: caller.callSid, name: 'lookup_order', arguments: { order: '42' }, from: '+14155550123', to: '+14155550100' });
    const timestamp = String(request!.headers['x-voicebridge-timestamp']);
    expect(verifyVoicebridgeSignature(SECRET, timestamp, request!.body, String(request!.headers['x-voicebridge-signature']), Math.floor(Date.now() / 1000))).toBe(true);
    expect(bridge.lines.join('\n')).not.toContain(SECRET);
  });

  it('says "One moment, please." once while a slow function works', async () => {
    const tools = await startToolsServer(() => ({ status: 200, body: '{"tables":2}', delayMs: 2_500 }));
    bridge = await startCallBridge('responses', { env: { TOOLS_URL: tools.url, TOOLS_SECRET: SECRET } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = { reply: () => '', functionCall: { name: 'free_tables', arguments: '{}' }, afterTool: () => 'We have two tables free.' };
    await caller.say('Any tables tonight');
    await caller.waitToHear('We have two tables free.');
    expect(caller.heard().filter((phrase) => phrase.includes('One moment, please.'))).toHaveLength(1);
  });

  it('gives the agent an error output it can talk about when the function fails, and the call goes on', async () => {
    const tools = await startToolsServer(() => ({ status: 500, body: '{"oops":true}' }));
    bridge = await startCallBridge('agents', { env: { TOOLS_URL: tools.url, TOOLS_SECRET: SECRET } });
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = { reply: () => '', functionCall: { name: 'book', arguments: '{}' }, afterTool: (results) => (JSON.parse(results[0]!.output) as { error: string }).error };
    await caller.say('Book a table');
    await caller.waitToHear("The business's system could not do this right now.");
    expect(bridge.callLog(caller).join('\n')).toContain('book failed:');
    bridge.fake.agentBehaviour = {};
    await caller.say('Thanks anyway');
    await caller.waitToHear('You said: Thanks anyway.');
  });

  it('without TOOLS_URL, answers "not available on phone calls" and the turn goes on', async () => {
    bridge = await startCallBridge('assistants');
    const caller = await bridge.dial();
    await caller.waitToHear(DEFAULT_GREETING);
    bridge.fake.agentBehaviour = { reply: () => '', functionCall: { name: 'book', arguments: '{}' }, afterTool: (results) => (JSON.parse(results[0]!.output) as { error: string }).error };
    await caller.say('Book a table');
    await caller.waitToHear('This function is not available on phone calls.');
  });
});
