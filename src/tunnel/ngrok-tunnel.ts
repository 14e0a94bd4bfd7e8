// The ngrok tunnel for `serve --tunnel`, through the @ngrok/ngrok library (an optional dependency, imported only
// when a tunnel is asked for, so an install without it still runs everything else).
import { TunnelError, type Tunnel, type TunnelProvider } from './tunnel-provider.js';

/** The part of @ngrok/ngrok used here; the package is optional, so its types may be absent. */
interface NgrokListener {
  url(): string | null;
  close(): Promise<void>;
}
interface NgrokLibrary {
  forward(config: { addr: number; authtoken: string; proto?: string; forwards_to?: string }): Promise<NgrokListener>;
}

const NGROK_PACKAGE = '@ngrok/ngrok';
const AUTHTOKEN_PAGE = 'https://dashboard.ngrok.com/get-started/your-authtoken';

async function loadNgrok(): Promise<NgrokLibrary> {
  let module: { default?: unknown; forward?: unknown };
  try {
    // A name in a variable: the package is optional, and the build must not need it.
    const name = NGROK_PACKAGE;
    module = (await import(name)) as { default?: unknown; forward?: unknown };
  } catch {
    throw new TunnelError(`the ngrok library is not installed (${NGROK_PACKAGE} is an optional dependency). Install it: npm install ${NGROK_PACKAGE}`);
  }
  const library = (typeof module.forward === 'function' ? module : module.default) as NgrokLibrary | undefined;
  if (typeof library?.forward !== 'function') throw new TunnelError(`the installed ${NGROK_PACKAGE} has no forward(): install a current version (npm install ${NGROK_PACKAGE}@latest)`);
  return library;
}

export const ngrokTunnelProvider: TunnelProvider = {
  name: 'ngrok',
  async open({ port, authtoken }): Promise<Tunnel> {
    if (!authtoken) {
      throw new TunnelError(`NGROK_AUTHTOKEN is not set. An ngrok tunnel needs your ngrok auth token: copy it from ${AUTHTOKEN_PAGE} into .env as NGROK_AUTHTOKEN=…`);
    }
    const ngrok = await loadNgrok();
    let listener: NgrokListener;
    try {
      listener = await ngrok.forward({ addr: port, authtoken, proto: 'http', forwards_to: `voicebridge serve on port ${port}` });
    } catch (error) {
      const message = (error as Error).message;
      const hint = /authtoken|authentication|ERR_NGROK_(105|106|107)/i.test(message)
        ? `check NGROK_AUTHTOKEN (copy it again from ${AUTHTOKEN_PAGE})`
        : 'the tunnel needs the internet and a working ngrok account; check both, or expose the port another way and set WEBHOOK_URL';
      throw new TunnelError(`ngrok could not open a tunnel: ${message}. ${hint[0]!.toUpperCase()}${hint.slice(1)}.`);
    }
    const url = listener.url();
    if (!url?.startsWith('https://')) {
      await listener.close().catch(() => undefined);
      throw new TunnelError(`ngrok opened a tunnel without an https:// address (${url ?? 'none'}); Twilio needs https.`);
    }
    return { url, close: () => listener.close() };
  },
};
