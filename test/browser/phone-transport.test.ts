// The browser phone's transport through the real server, call core, voice engine and brain, against the simulated
// OpenAI: its socket refused without the run's token (and nothing opened for it), a call's greeting heard, the
// caller's words and the agent's sentences shown, barge-in through marks and clear, end_call after the goodbye is
// heard; the page and its scripts served with their content types and a strict policy; nothing of it without --phone.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLog } from '../../src/log/call-log.js';
import { startBridgeServer, type BridgeServer } from '../../src/server/bridge-server.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { AGENT_TRANSFERRING, LINES_BUSY } from '../../src/call/caller-messages.js';
import { startBackend, type BackendUnderTest } from '../agents/brain-harness.js';
import { eventually } from '../bridge/call-harness.js';
import { FakePage } from './fake-page.js';

const TOKEN = 'k3Jx9-test_token_0123456789abcdefghijklmnopq';

let backend: BackendUnderTest | undefined;
let server: BridgeServer | undefined;
let pages: FakePage[] = [];
let lines: string[] = [];

afterEach(async () => {
  for (const page of pages) page.close();
  pages = [];
  await server?.close();
  server = undefined;
  await backend?.stop();
  backend = undefined;
});

/** serve as --phone runs it when only OPENAI_API_KEY and the agent are set: no Twilio setting at all. */
async function startPhone(options: { phone?: boolean; env?: Record<string, string>; maxCalls?: number } = {}): Promise<BridgeServer> {
  backend = await startBackend('agents', options.env ?? {});
  const log = createMemoryLog('text', backend.config.secrets);
  lines = log.lines;
  server = await startBridgeServer({
    config: backend.config,
    brain: backend.brain,
    log,
    port: 0,
    host: '127.0.0.1',
    ...(options.phone === false ? {} : { phone: { token: TOKEN } }),
    ...(options.maxCalls !== undefined ? { maxCalls: options.maxCalls } : {}),
  });
  return server;
}

/** The page's socket, presenting `token` (null: none). */
async function openPage(token: string | null = TOKEN, origin?: string): Promise<FakePage> {
  const page = await FakePage.open(server!.port, { token: token ?? undefined, ...(origin ? { origin } : {}) });
  pages.push(page);
  return page;
}

function get(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server!.port, path, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the browser phone socket', () => {
  it('is refused without the token, with another token, and from another site, and opens nothing for them', async () => {
    await startPhone();
    await expect(openPage(null)).rejects.toThrow('refused: 403');
    await expect(openPage('not-the-token')).rejects.toThrow('refused: 403');
    await expect(openPage(`${TOKEN}x`)).rejects.toThrow('refused: 403');
    await expect(openPage(TOKEN, 'https://evil.example')).rejects.toThrow('refused: 403');
    expect(backend!.fake.realtime.connections).toEqual([]);
    expect(server!.activeCalls).toBe(0);
    expect(lines.join('\n')).toContain('Refused a browser phone connection: it carries no token');
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('with the token: the call starts, the greeting shows as it plays and is heard, and the caller’s words and the agent’s reply follow', async () => {
    await startPhone();
    const page = await openPage();
    await eventually(() => page.of('agent').length > 0, 'the greeting was shown');
    expect(page.messages[0]).toEqual({ type: 'started', call: expect.stringMatching(/^browser-[0-9a-f]{16}$/) as unknown as string });
    expect(page.of('agent')[0]!.text).toBe(DEFAULT_GREETING);
    await eventually(() => page.heard().includes(DEFAULT_GREETING), 'the greeting was heard');
    // The mark after the greeting came back played: the greeting counts as heard.
    await eventually(() => page.echoed.length === 1, 'the greeting mark was echoed');
    expect(page.echoed).toEqual([{ name: 'greeting-1', cleared: false }]);
    page.say('What time do you open tomorrow?');
    await eventually(() => page.of('caller').length === 1, 'the caller’s words were shown');
    expect(page.of('caller')[0]!.text).toBe('What time do you open tomorrow?');
    await eventually(() => page.of('agent').length >= 2, 'the reply was shown');
    const reply = backend!.fake.agentTurns[0]!.reply;
    await eventually(() => page.of('agent').map((message) => message.text).join(' ') === `${DEFAULT_GREETING} ${reply}`, 'every sentence of the reply was shown');
    expect(lines.join('\n')).toContain('Browser call started');
    expect(lines.join('\n')).toContain('Customer said: What time do you open tomorrow?');
    expect(server!.activeCalls).toBe(1);
  });

  it('barge-in: the caller speaking over the reply clears the page, which echoes the held marks as flushed, and the cut sentence is shown as interrupted', async () => {
    await startPhone();
    const page = await openPage();
    await eventually(() => page.echoed.length === 1, 'the greeting was heard');
    backend!.fake.agentBehaviour = { reply: () => 'We open at nine. We close at six. We bake every morning. Ask me anything else.' };
    page.holdMarks = true;
    page.say('When do you open?');
    await eventually(() => page.of('mark').length >= 2, 'the reply’s first sentence was sent and marked');
    page.say('Sorry, one more thing');
    await eventually(() => page.of('clear').length === 1, 'the page was told to clear');
    await eventually(() => page.of('interrupted').length >= 1, 'the cut sentence was named');
    const replyMarks = page.echoed.filter((mark) => mark.name !== 'greeting-1');
    expect(replyMarks.length).toBeGreaterThan(0);
    expect(replyMarks.filter((mark) => !mark.cleared)).toEqual([]);
    expect(page.of('agent').map((message) => message.id)).toContain(page.of('interrupted')[0]!.id);
    await eventually(() => lines.some((line) => line.includes('Caller interrupted')), 'the barge-in was logged');
  });

  it('end_call: the call ends once the goodbye has been heard, and the page is told why', async () => {
    await startPhone();
    const page = await openPage();
    await eventually(() => page.echoed.length === 1, 'the greeting was heard');
    backend!.fake.agentBehaviour = { reply: () => 'Goodbye, and thanks for calling!', functionCall: { name: 'end_call', arguments: '{"reason":"the caller is done"}' }, afterTool: () => '' };
    page.holdMarks = true;
    page.say('That is all, thank you');
    await eventually(() => page.of('mark').length === 2, 'the goodbye was sent and marked');
    // Not heard yet: the call stays up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(page.of('ended')).toEqual([]);
    page.releaseMarks();
    await eventually(() => page.closeCode !== undefined, 'the page’s socket was closed');
    expect(page.of('ended')).toEqual([{ type: 'ended', reason: 'The agent ended the call.' }]);
    expect(page.closeCode).toBe(1000);
    const log = lines.join('\n');
    expect(log).toContain('Agent ended the call: the caller is done');
    expect(log).toContain("Hung up the call through the browser phone after the agent's goodbye");
    await eventually(() => server!.activeCalls === 0, 'the call was over');
  });

  it('transfer_call: the page is told where a phone caller would have gone, the log says the browser cannot follow, and the call ends', async () => {
    await startPhone({ env: { TRANSFER_TARGETS: 'sales=+14155550111' } });
    const page = await openPage();
    await eventually(() => page.echoed.length === 1, 'the greeting was heard');
    backend!.fake.agentBehaviour = {
      reply: () => 'Let me put you through to sales.',
      functionCall: { name: 'transfer_call', arguments: '{"destination":"sales","reason":"wants a quote"}' },
      afterTool: () => '',
    };
    page.say('I would like a quote');
    await eventually(() => page.closeCode !== undefined, 'the page’s socket was closed');
    expect(page.of('transfer')).toEqual([{ type: 'transfer', destination: '+14155550111' }]);
    expect(page.of('ended')).toEqual([
      { type: 'ended', reason: `${AGENT_TRANSFERRING} (A phone caller would now be transferred to +14155550111; the browser phone ends the call instead.)` },
    ]);
    expect(lines.join('\n')).toContain('A browser call cannot be transferred: the page was told of the transfer to +14155550111, and the call ends');
  });

  it('counts towards MAX_CALLS: a page beyond it is told the lines are busy, and nothing is opened for it', async () => {
    await startPhone({ maxCalls: 1 });
    const first = await openPage();
    await eventually(() => first.echoed.length === 1, 'the first call was up');
    const second = await openPage();
    await eventually(() => second.closeCode !== undefined, 'the second page was sent away');
    expect(second.messages).toEqual([{ type: 'ended', reason: LINES_BUSY }]);
    expect(backend!.fake.realtime.connections.length).toBe(1);
    expect(lines.join('\n')).toContain('Turned a browser call away: MAX_CALLS=1 calls are already in progress or connecting');
  });

  it('Hang up ends the call as a caller hanging up', async () => {
    await startPhone();
    const page = await openPage();
    await eventually(() => page.echoed.length === 1, 'the greeting was heard');
    page.send({ type: 'hangup' });
    await eventually(() => lines.some((line) => line.includes('Call ended (caller hung up)')), 'the call ended');
    expect(server!.activeCalls).toBe(0);
  });

  it('ignores messages the page never sends, logging the first once, and the call goes on', async () => {
    await startPhone();
    const page = await openPage();
    await eventually(() => page.echoed.length === 1, 'the greeting was heard');
    page.socket.send('not json');
    page.send({ type: 'mark', name: 'never-sent' });
    page.socket.send(Buffer.alloc(9000));
    page.say('Still there?');
    await eventually(() => page.of('caller').length === 1, 'the caller was still heard');
    expect(lines.filter((line) => line.includes('Ignored a bad message from the browser phone'))).toEqual([
      expect.stringContaining('Ignored a bad message from the browser phone: a text message that is not JSON') as unknown as string,
    ]);
  });
});

describe('the browser phone page', () => {
  it('serves the page, its style sheet and scripts with their content types and a strict policy', async () => {
    await startPhone();
    const page = await get('/phone');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('<script type="module" src="/phone/phone.js"></script>');
    expect(page.body).not.toMatch(/<script>|<style>|on(click|load)=/);
    for (const script of ['/phone/phone.js', '/phone/capture-worklet.js', '/phone/playback-worklet.js', '/phone/g711.js']) {
      const file = await get(script);
      expect(file.status, script).toBe(200);
      expect(file.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(file.headers['content-security-policy']).toBe(page.headers['content-security-policy']);
    }
    expect((await get('/phone/capture-worklet.js')).body).toContain("registerProcessor('voicebridge-capture'");
    expect((await get('/phone/phone.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get('/phone/other.js')).status).toBe(404);
    expect((await get('/phone/../package.json')).status).toBe(404);
  });

  it('does not exist without --phone: GET /phone is 404 and its socket is refused', async () => {
    backend = await startBackend('agents', { TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'https://voice.example.test' });
    server = await startBridgeServer({ config: backend.config, brain: backend.brain, log: createMemoryLog('text', []), port: 0, host: '127.0.0.1' });
    expect((await get('/phone')).status).toBe(404);
    expect((await get('/phone/phone.js')).status).toBe(404);
    await expect(openPage()).rejects.toThrow('refused: 404');
    expect(backend.fake.realtime.connections).toEqual([]);
  });
});
