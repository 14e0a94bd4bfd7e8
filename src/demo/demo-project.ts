// The demo's configuration: a throw-away .env in a temporary folder that points everything at local, simulated
// services — the OpenAI simulator, made-up Twilio credentials, WEBHOOK_URL on this machine, and a Twilio API address
// where nothing listens — read without the process environment, so no real key in the shell can take part.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, type Config } from '../config/config.js';
import { readEnvFile } from '../config/env-file.js';
import type { SimulatedOpenAI } from './simulated-openai.js';

export interface DemoProject {
  config: Config;
  /** Where the bridge listens: http://127.0.0.1:<port> (also its WEBHOOK_URL). */
  serverUrl: string;
  remove(): Promise<void>;
}

export async function createDemoProject(simulator: SimulatedOpenAI, port: number): Promise<DemoProject> {
  const folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-'));
  const serverUrl = `http://127.0.0.1:${port}`;
  const values: Record<string, string> = {
    OPENAI_API_KEY: simulator.apiKey,
    OPENAI_BASE_URL: simulator.baseURL,
    ASSISTANT_ID: simulator.agentId,
    TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`,
    TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
    TWILIO_PHONE_NUMBER: '+15005550100',
    // Port 9 (discard): should anything try the Twilio API, it fails here instead of reaching Twilio.
    TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
    WEBHOOK_URL: serverUrl,
    PORT: String(port),
  };
  const envPath = join(folder, '.env');
  const text = ['# voicebridge demo: everything below is simulated or made up.', ...Object.entries(values).map(([key, value]) => `${key}=${value}`), ''].join('\n');
  await writeFile(envPath, text, { mode: 0o600 });
  const config = buildConfig(readEnvFile(envPath, true), {});
  return { config, serverUrl, remove: () => rm(folder, { recursive: true, force: true }) };
}
