// `serve --tunnel`: a public HTTPS tunnel to the bridge's port whose URL is WEBHOOK_URL for the run, and, when asked,
// the Twilio number pointed at it (and put back as it was on exit).
import type { CallLogger } from '../log/call-log.js';
import type { Config } from '../config/config.js';
import { DEFAULT_PORT } from '../config/defaults.js';
import { findFreePort } from '../util/free-port.js';
import { NumberSetupError, pointNumberAt, restoreNumber, type NumberVoiceSetting } from './number-voice-url.js';
import { ngrokTunnelProvider } from './ngrok-tunnel.js';
import type { TunnelProvider } from './tunnel-provider.js';

export interface ServeTunnelOptions {
  /** Point TWILIO_PHONE_NUMBER's voice URL at the tunnel once the bridge listens. */
  configureNumber?: boolean;
  /** Put the number's previous voice URL back on exit. */
  restoreNumber?: boolean;
}

export interface ServeTunnel {
  readonly url: string;
  readonly provider: string;
  /** The run's config: WEBHOOK_URL is the tunnel, and the port is the one it forwards to. */
  readonly config: Config;
  /** Once the bridge listens: points the number at it when asked. Returns why it could not, or undefined. */
  configureNumber(log: CallLogger): Promise<string | undefined>;
  /** On exit: puts the number back when asked, then closes the tunnel. */
  close(log: CallLogger): Promise<void>;
}

export async function openServeTunnel(config: Config, options: ServeTunnelOptions, provider: TunnelProvider = ngrokTunnelProvider): Promise<ServeTunnel> {
  // The tunnel must know the port before the bridge listens (its URL is built into the bridge's TwiML).
  const port = config.port === 0 ? await findFreePort('0.0.0.0') : (config.port ?? DEFAULT_PORT);
  const tunnel = await provider.open({ port, ...(config.ngrokAuthtoken ? { authtoken: config.ngrokAuthtoken } : {}) });
  const url = tunnel.url.replace(/\/+$/, '');
  const runConfig: Config = { ...config, port, portProblem: undefined, webhookUrl: url, raw: { ...config.raw, WEBHOOK_URL: url } };
  let previous: NumberVoiceSetting | undefined;
  let closed = false;
  return {
    url,
    provider: provider.name,
    config: runConfig,
    async configureNumber(log) {
      if (!options.configureNumber) return undefined;
      const voiceUrl = `${url}/incoming-call`;
      try {
        previous = await pointNumberAt(runConfig, voiceUrl);
      } catch (error) {
        if (error instanceof NumberSetupError) return error.message;
        throw error;
      }
      const was = previous.voiceUrl ? `${previous.voiceUrl} (${previous.voiceMethod})` : 'no voice URL';
      log.info(
        `Pointed ${previous.phoneNumber} at ${voiceUrl} (POST); it had ${was}` +
          (options.restoreNumber ? ', which is put back on exit.' : '. Pass --restore-number to put it back on exit.'),
      );
      return undefined;
    },
    async close(log) {
      if (closed) return;
      closed = true;
      if (previous && options.restoreNumber) {
        try {
          await restoreNumber(runConfig, previous);
          log.info(`Put ${previous.phoneNumber} back to ${previous.voiceUrl || 'no voice URL'} (${previous.voiceMethod}).`);
        } catch (error) {
          log.error((error as Error).message);
        }
      }
      await tunnel.close().catch((error: unknown) => log.warn(`The ${provider.name} tunnel did not close cleanly: ${(error as Error).message}`));
    },
  };
}
