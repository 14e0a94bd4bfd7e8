// Creates the OpenAI SDK client for a config. The SDK is imported here, lazily, so commands that do not talk to
// OpenAI (and `--help`) never pay for loading it.
import type OpenAI from 'openai';
import type { Config } from '../config/config.js';
import { cleanId } from '../knowledge/openai-ids.js';

export interface OpenAIClientOptions {
  /** Probes use 0: a doctor must report a 429 as it is, not retry it away. */
  maxRetries?: number;
  timeoutMs?: number;
  /**
   * Sent as the OpenAI-Project header: OpenAI then refuses a key of another project instead of acting in the key's
   * own. Left out, the SDK's default applies (the shell's OPENAI_PROJECT_ID, if any).
   */
  project?: string;
}

export async function createOpenAIClient(config: Config, options: OpenAIClientOptions = {}): Promise<OpenAI> {
  const { default: OpenAIClient } = await import('openai');
  return new OpenAIClient({
    apiKey: cleanId(config.openai.apiKey ?? ''),
    baseURL: config.openai.baseURL,
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs ?? 30_000,
    ...(options.project !== undefined ? { project: options.project } : {}),
  });
}
