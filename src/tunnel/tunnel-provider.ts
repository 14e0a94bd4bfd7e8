// A public HTTPS address for a server on this machine, so Twilio can reach it: what `serve --tunnel` needs from a
// tunnel service. The ngrok library is the one shipped; tests give their own provider.

export interface Tunnel {
  /** The public https:// base URL, used as WEBHOOK_URL for the run. */
  readonly url: string;
  close(): Promise<void>;
}

export interface TunnelOpenOptions {
  /** The local port to forward to. */
  port: number;
  /** The tunnel service's auth token (NGROK_AUTHTOKEN for ngrok). */
  authtoken?: string;
}

export interface TunnelProvider {
  /** The service's name, for messages ("ngrok"). */
  readonly name: string;
  open(options: TunnelOpenOptions): Promise<Tunnel>;
}

/** The tunnel could not be opened; the message says why and what to do. */
export class TunnelError extends Error {}
