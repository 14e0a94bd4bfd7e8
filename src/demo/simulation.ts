// The simulated world `demo` and `serve --simulate` run the real serve in: the bundled OpenAI simulator and a
// simulated Twilio REST API, both on 127.0.0.1 in this process, and a throw-away .env in a temporary folder that
// points everything at them (made-up Twilio credentials, WEBHOOK_URL on this machine). The .env is read without the
// process environment, and nothing of the user's own .env is read or written, so no real key can take part.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, type Config } from '../config/config.js';
import { readEnvFile } from '../config/env-file.js';
import { FakeTwilioRest } from '../simulator/twilio/fake-twilio-rest.js';
import { startSimulatedOpenAI, type SimulatedOpenAI } from './simulated-openai.js';

export interface SimulationOptions {
  /** Where serve will listen (its WEBHOOK_URL names it, so it is chosen before serve starts). */
  port: number;
  /** Names the temporary folder: voicebridge-<purpose>-… */
  purpose: string;
}

export interface Simulation {
  openai: SimulatedOpenAI;
  /** The simulated Twilio REST API (TWILIO_API_BASE_URL). */
  twilioApiBaseUrl: string;
  /** The configuration serve runs with, read from the throw-away .env. */
  config: Config;
  /** The throw-away .env, for `voicebridge call --env` in another terminal. */
  envPath: string;
  /** Where serve listens: http://127.0.0.1:<port> (also its WEBHOOK_URL). */
  serverUrl: string;
  /** Stops the simulators and deletes the throw-away folder. */
  close(): Promise<void>;
}

export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const phoneNumber = '+15005550100';
  const openai = await startSimulatedOpenAI();
  let twilio: FakeTwilioRest | undefined;
  let folder: string | undefined;
  try {
    twilio = await FakeTwilioRest.start({ accounts: [{ sid: accountSid, authToken }], apiKeys: [], numbers: [{ phoneNumber, accountSid }], knowsEveryCall: true });
    folder = await mkdtemp(join(tmpdir(), `voicebridge-${options.purpose}-`));
    const serverUrl = `http://127.0.0.1:${options.port}`;
    const values: Record<string, string> = {
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.baseURL,
      ASSISTANT_ID: openai.agentId,
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_PHONE_NUMBER: phoneNumber,
      TWILIO_API_BASE_URL: twilio.baseURL,
      WEBHOOK_URL: serverUrl,
      PORT: String(options.port),
    };
    const envPath = join(folder, '.env');
    const text = [`# voicebridge ${options.purpose}: everything below is simulated or made up, and deleted when it stops.`, ...Object.entries(values).map(([key, value]) => `${key}=${value}`), ''].join('\n');
    await writeFile(envPath, text, { mode: 0o600 });
    const config = buildConfig(readEnvFile(envPath, true), {});
    const created = { twilio, folder };
    return {
      openai,
      twilioApiBaseUrl: twilio.baseURL,
      config,
      envPath,
      serverUrl,
      close: async () => {
        await rm(created.folder, { recursive: true, force: true });
        await created.twilio.close();
        await openai.close();
      },
    };
  } catch (error) {
    if (folder) await rm(folder, { recursive: true, force: true });
    await twilio?.close();
    await openai.close();
    throw error;
  }
}
