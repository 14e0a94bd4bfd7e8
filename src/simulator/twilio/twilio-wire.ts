// Twilio's wire conventions shared by the fake's API families: the error body, SIDs, form bodies and dates.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, type FakeRequest } from '../http-fake.js';

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export function sendTwilioError(response: ServerResponse, status: number, code: number, message: string): void {
  const headers: Record<string, string> = status === 401 ? { 'www-authenticate': 'Basic realm="Twilio API"' } : {};
  sendJson(response, status, twilioError(status, code, message), headers);
}

export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export function fakeSid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

export function formBody(request: FakeRequest): Record<string, string> {
  return typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, string>) : {};
}

