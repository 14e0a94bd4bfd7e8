// Creates the Twilio REST client for a config. twilio-node has no base-URL option, so requests go through a
// RequestClient that rewrites the origin of every URL to TWILIO_API_BASE_URL (a local fake, or a regional edge).
import type { Twilio } from 'twilio';
import type { Config } from '../config/config.js';
import { DEFAULT_TWILIO_API_BASE_URL } from '../config/defaults.js';

export interface TwilioClientOptions {
  timeoutMs?: number;
}

export async function createTwilioClient(config: Config, options: TwilioClientOptions = {}): Promise<Twilio> {
  const { default: twilio } = await import('twilio');
  const base = new URL(config.twilio.apiBaseURL);
  const rewriteOrigin = config.twilio.apiBaseURL !== DEFAULT_TWILIO_API_BASE_URL;

  class OriginRewritingRequestClient extends twilio.RequestClient {
    override request<TData>(opts: Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0]) {
      if (rewriteOrigin) {
        const target = new URL(opts.uri);
        target.protocol = base.protocol;
        target.host = base.host;
        opts = { ...opts, uri: target.toString() };
      }
      return super.request<TData>(opts as never);
    }
  }

  const httpClient = new OriginRewritingRequestClient({ timeout: options.timeoutMs ?? 15_000 });
  const accountSid = config.twilio.accountSid?.trim();
  if (config.twilio.apiKey && config.twilio.apiSecret) {
    return twilio(config.twilio.apiKey.trim(), config.twilio.apiSecret.trim(), { accountSid, httpClient });
  }
  return twilio(accountSid, config.twilio.authToken?.trim(), { httpClient });
}
