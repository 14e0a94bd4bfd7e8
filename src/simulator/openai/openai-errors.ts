// OpenAI's error answers, as the simulated services send them: the JSON body shape, and the HTTP refusal of a WebSocket
// upgrade. A module of its own so that every route module can use them without importing the simulator that holds
// the routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { sendJson } from '../http-fake.js';

export interface OpenAIErrorBody {
  message: string;
  type: string;
  param?: string | null;
  code: string | null;
}

export function openAIError(error: OpenAIErrorBody): { error: Required<OpenAIErrorBody> } {
  return { error: { param: null, ...error } as Required<OpenAIErrorBody> };
}

export function sendOpenAIError(response: ServerResponse, status: number, error: OpenAIErrorBody, headers: Record<string, string> = {}): void {
  sendJson(response, status, openAIError(error), headers);
}

/** Answers a WebSocket upgrade with an HTTP error in OpenAI's body shape, as the service does before accepting. */
export function refuseUpgrade(socket: Socket, status: string, error: OpenAIErrorBody): void {
  const body = JSON.stringify(openAIError(error));
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** What every voice service checks before accepting a socket: the key. Returns true when the upgrade was refused. */
export function refuseUnauthorizedUpgrade(fake: { readonly keys: { get(key: string): unknown } }, request: IncomingMessage, socket: Socket): boolean {
  const header = request.headers.authorization ?? '';
  const key = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  if (fake.keys.get(key) === 'ok') return false;
  refuseUpgrade(socket, '401 Unauthorized', {
    message: key ? 'Incorrect API key provided.' : "You didn't provide an API key.",
    type: 'invalid_request_error',
    code: key ? 'invalid_api_key' : null,
  });
  return true;
}

/** The answer of an overloaded voice service. */
export const OVERLOADED: OpenAIErrorBody = { message: 'The server is overloaded. Please try again later.', type: 'server_error', code: 'server_overloaded' };
