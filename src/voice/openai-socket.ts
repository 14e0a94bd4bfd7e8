// Opens the WebSocket to an OpenAI voice service (Realtime, GPT-Live) the one way both need: the URL derived from
// OPENAI_BASE_URL (http→ws, https→wss, so a local ws:// service works too) and only an Authorization header (and
// OpenAI-Project for a SIP call's sideband).
import WebSocket from 'ws';

/** The WebSocket URL of `path` under an OpenAI base URL. */
export function openAISocketUrl(baseURL: string, path: string): URL {
  const url = new URL(`${baseURL.replace(/\/+$/, '')}${path}`);
  url.protocol = url.protocol === 'http:' ? 'ws:' : url.protocol === 'https:' ? 'wss:' : url.protocol;
  return url;
}

/**
 * `handshakeTimeoutMs`: a connection that does not open in this time is as good as refused. Engines pass their start
 * timeout, which also bounds the session's confirmation: the handshake never gets longer than the whole start-up.
 */
export function openOpenAISocket(url: string, apiKey: string, maxPayload: number, handshakeTimeoutMs: number, project?: string): WebSocket {
  // Authorization (and the project a SIP call belongs to) only: an OpenAI-Beta header would switch Realtime to the
  // retired beta shape and be refused.
  return new WebSocket(url, {
    headers: { Authorization: `Bearer ${apiKey}`, ...(project !== undefined ? { 'OpenAI-Project': project } : {}) },
    maxPayload,
    handshakeTimeout: handshakeTimeoutMs,
    // Audio is base64 μ-law, which barely compresses: deflate would cost CPU and latency on every frame.
    perMessageDeflate: false,
  });
}
