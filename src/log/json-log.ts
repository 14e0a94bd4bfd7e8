// The bridge's log as JSON for log collectors, written by pino: one object per line with an ISO time and a level
// name, the CallSid on every line of a call (a child logger carries it), and secrets masked in the finished line
// (values of secret-named fields are censored too). Loaded only by `serve --log-format json`.
import { hostname } from 'node:os';
import { pino } from 'pino';
import { redactSecrets } from '../util/mask-secret.js';
import type { BridgeLog, CallLogger, LogFields } from './call-log.js';

export interface JsonLogOptions {
  /** Receives each finished line, without its newline. */
  write: (line: string) => void;
  secrets?: readonly string[];
  now?: () => Date;
}

/** Field names whose values are never written, whatever they hold. */
const SECRET_FIELDS = ['apiKey', 'authToken', 'apiSecret', 'authorization', 'password', 'token'];

export function createJsonLog(options: JsonLogOptions): BridgeLog {
  const secrets = options.secrets ?? [];
  const now = options.now ?? (() => new Date());
  const logger = pino(
    {
      messageKey: 'msg',
      base: { pid: process.pid, hostname: hostname() },
      timestamp: () => `,"time":"${now().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)], censor: '[redacted]' },
    },
    { write: (chunk: string) => options.write(redactSecrets(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk, secrets)) },
  );

  const wrap = (target: pino.Logger): CallLogger => {
    const line = (level: 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
      if (fields) target[level](fields, message);
      else target[level](message);
    };
    return { info: line('info'), warn: line('warn'), error: line('error') };
  };
  return { ...wrap(logger), forCall: (callSid) => wrap(logger.child({ callSid })) };
}
