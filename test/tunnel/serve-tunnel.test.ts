// `serve --tunnel` with a tunnel provider given by the test (the real one needs the internet): the tunnel's URL is
// WEBHOOK_URL for the run, --configure-number points the Twilio number at it, --restore-number puts it back.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeServer } from '../../src/server/bridge-server.js';
import { runServeCommand, type ServeOptions } from '../../src/cli/commands/serve.js';
import { buildConfig, type RawEnv } from '../../src/config/config.js';
import { DEFAULT_GREETING } from '../../src/config/defaults.js';
import { readEnvFile } from '../../src/config/env-file.js';
import { seedAgent } from '../fakes/openai/agent-sessions.js';
import { FAKE_OPENAI_KEY, FakeOpenAI } from '../fakes/openai/fake-openai.js';
import type { Tunnel, TunnelOpenOptions, TunnelProvider } from '../../src/tunnel/tunnel-provider.js';
import { captureOutput } from '../create-assistant/project.js';
import { FakeTwilioCaller } from '../fakes/twilio/fake-twilio-caller.js';
import {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_AUTH_TOKEN,
  FAKE_TWILIO_NUMBER_SID,
  FAKE_TWILIO_PHONE_NUMBER,
  FakeTwilioRest,
  TWILIO_DEMO_VOICE_URL,
} from '../fakes/twilio/fake-twilio-rest.js';
import { runCli } from '../helpers/run-cli.js';

const NGROK_TOKEN = '2abcDEFghiJKLmnoPQRstu_3vwxYZ0123456789abcdefGH';
const TUNNEL_URL = 'https://a1b2c3d4.tunnel.test';

class TestTunnelProvider implements TunnelProvider {
  readonly name = 'test tunnel';
  readonly opened: TunnelOpenOptions[] = [];
  closed = 0;

  async open(options: TunnelOpenOptions): Promise<Tunnel> {
    this.opened.push(options);
    return { url: `${TUNNEL_URL}/`, close: async () => void (this.closed += 1) };
  }
}

let openai: FakeOpenAI | undefined;
let twilioApi: FakeTwilioRest | undefined;
let folder: string | undefined;

afterEach(async () => {
  await openai?.close();
  await twilioApi?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
  openai = twilioApi = folder = undefined;
});

/** Starts serve in this process; resolves once it listens, with a way to stop it and its outcome. */
async function startServe(options: ServeOptions, provider: TunnelProvider, env: RawEnv = {}) {
  openai = await FakeOpenAI.start();
  twilioApi ??= await FakeTwilioRest.start();
  const values: RawEnv = {
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
    OPENAI_BASE_URL: openai.baseURL,
    ASSISTANT_ID: seedAgent(openai).id,
    TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: FAKE_TWILIO_PHONE_NUMBER,
    TWILIO_API_BASE_URL: twilioApi.baseURL,
    NGROK_AUTHTOKEN: NGROK_TOKEN,
    ...env,
  };
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-tunnel-'));
  const envPath = join(folder, '.env');
  await writeFile(envPath, Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  const config = buildConfig(readEnvFile(envPath, true), {});
  const captured = captureOutput();
  let stop: (signal: string) => void = () => undefined;
  let listening: (server: BridgeServer | undefined) => void = () => undefined;
  const started = new Promise<BridgeServer | undefined>((resolve) => (listening = resolve));
  const exited = runServeCommand(
    { port: '0', ...options },
    captured.output,
    { waitForStop: () => new Promise((resolve) => (stop = resolve)), onListening: (server) => listening(server) },
    { config, host: '127.0.0.1', tunnelProvider: provider },
  );
  void exited.then(() => listening(undefined));
  return { server: await started, exited, stop: (signal = 'SIGTERM') => stop(signal), text: captured.text };
}

describe('voicebridge serve --tunnel', () => {
  it('uses the tunnel as WEBHOOK_URL, points the number at it while it runs, and puts the number back on exit', async () => {
    const provider = new TestTunnelProvider();
    const serve = await startServe({ tunnel: true, configureNumber: true, restoreNumber: true }, provider);
    expect(serve.server, serve.text()).toBeDefined();
    const port = serve.server!.port;
    expect(provider.opened).toEqual([{ port, authtoken: NGROK_TOKEN }]);
    expect(serve.server!.urls?.incomingCall).toBe(`${TUNNEL_URL}/incoming-call`);
    expect(twilioApi!.numbers.get(FAKE_TWILIO_NUMBER_SID)).toMatchObject({ voiceUrl: `${TUNNEL_URL}/incoming-call`, voiceMethod: 'POST' });

    // A call signed for the tunnel's address is accepted: the bridge checks signatures against the tunnel URL.
    const caller = await FakeTwilioCaller.dial({
      serverOrigin: `http://127.0.0.1:${port}`,
      voiceUrl: `${TUNNEL_URL}/incoming-call`,
      authToken: FAKE_TWILIO_AUTH_TOKEN,
      accountSid: FAKE_TWILIO_ACCOUNT_SID,
    });
    await caller.waitToHear(DEFAULT_GREETING);
    await caller.hangUp();

    serve.stop();
    expect(await serve.exited).toBe(0);
    expect(twilioApi!.numbers.get(FAKE_TWILIO_NUMBER_SID)).toMatchObject({ voiceUrl: TWILIO_DEMO_VOICE_URL, voiceMethod: 'POST' });
    expect(provider.closed).toBe(1);
    const text = serve.text();
    expect(text).toContain(`Tunnel open: ${TUNNEL_URL} → port ${port} (test tunnel); it is WEBHOOK_URL for this run.`);
    expect(text).toContain(`Twilio webhook   ${TUNNEL_URL}/incoming-call`);
    expect(text).toContain(`Pointed ${FAKE_TWILIO_PHONE_NUMBER} at ${TUNNEL_URL}/incoming-call (POST); it had ${TWILIO_DEMO_VOICE_URL} (POST), which is put back on exit.`);
    expect(text).toContain(`Put ${FAKE_TWILIO_PHONE_NUMBER} back to ${TWILIO_DEMO_VOICE_URL} (POST).`);
    expect(text).not.toContain(NGROK_TOKEN);
    expect(text).not.toContain(FAKE_TWILIO_AUTH_TOKEN);
  });

  it('leaves the number alone without --configure-number', async () => {
    const provider = new TestTunnelProvider();
    const serve = await startServe({ tunnel: true }, provider);
    expect(serve.server, serve.text()).toBeDefined();
    expect(twilioApi!.numbers.get(FAKE_TWILIO_NUMBER_SID)!.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    serve.stop();
    expect(await serve.exited).toBe(0);
    expect(provider.closed).toBe(1);
    expect(twilioApi!.requests.filter((request) => request.method === 'POST')).toEqual([]);
  });

  it('refuses to start, and closes the tunnel, when a TwiML App takes the number\'s calls', async () => {
    twilioApi = await FakeTwilioRest.start({
      numbers: [{ phoneNumber: FAKE_TWILIO_PHONE_NUMBER, sid: FAKE_TWILIO_NUMBER_SID, voiceApplicationSid: 'AP0123456789abcdef0123456789abcdef' }],
    });
    const provider = new TestTunnelProvider();
    const serve = await startServe({ tunnel: true, configureNumber: true, restoreNumber: true }, provider);
    expect(await serve.exited).toBe(1);
    expect(serve.text()).toContain('go to the TwiML App AP0123456789abcdef0123456789abcdef, which overrides the voice URL');
    expect(provider.closed).toBe(1);
  });
});

describe('voicebridge serve --tunnel from the command line', () => {
  it('refuses to start without NGROK_AUTHTOKEN and says where to get one', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-tunnel-'));
    await writeFile(join(folder, '.env'), `TWILIO_AUTH_TOKEN=${FAKE_TWILIO_AUTH_TOKEN}\n`);
    const result = await runCli(['serve', '--tunnel', '--port', '0'], { cwd: folder });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NGROK_AUTHTOKEN is not set. An ngrok tunnel needs your ngrok auth token: copy it from https://dashboard.ngrok.com/get-started/your-authtoken');
  });

  it('takes --configure-number only with --tunnel', async () => {
    const result = await runCli(['serve', '--configure-number']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--configure-number goes with --tunnel');
  });
});
