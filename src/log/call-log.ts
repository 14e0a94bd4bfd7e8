// The bridge's log: one line per call event, tagged with the CallSid, in the seed's words
// ("[CA…] Customer said: …"). Readable text on a terminal, or one JSON object per line for machines.
// Every line passes through secret redaction; audio frames are never logged.
import type { ChalkInstance } from 'chalk';
import { redactSecrets } from '../util/mask-secret.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface CallLogger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface BridgeLog extends CallLogger {
  /** A logger whose every line carries this CallSid. */
  forCall(callSid: string): CallLogger;
}

export interface BridgeLogOptions {
  format: LogFormat;
  write: (line: string) => void;
  secrets?: readonly string[];
  /** Colours for text lines; omit for plain text. */
  chalk?: ChalkInstance;
  now?: () => Date;
}

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export function createBridgeLog(options: BridgeLogOptions): BridgeLog {
  const secrets = options.secrets ?? [];
  const now = options.now ?? (() => new Date());
  const chalk = options.chalk;

  const emit = (level: LogLevel, callSid: string | undefined, message: string, fields: LogFields | undefined): void => {
    const time = now();
    let line: string;
    if (options.format === 'json') {
      line = JSON.stringify({ time: time.toISOString(), level, ...(callSid ? { callSid } : {}), msg: message, ...fields });
    } else {
      const clock = time.toISOString().slice(11, 23);
      const tag = callSid ? `[${callSid}] ` : '';
      // One event, one line: words that came from outside (a transcript, a peer's error) cannot start a forged one.
      const flat = escapeControlCharacters(message.replace(/[\r\n\u2028\u2029]+/g, ' ⏎ '));
      const text = level === 'error' ? chalk?.red(flat) ?? flat : level === 'warn' ? chalk?.yellow(flat) ?? flat : flat;
      line = `${chalk ? chalk.dim(clock) : clock} ${tag}${text}`;
    }
    options.write(redactSecrets(line, secrets));
  };

  const logger = (callSid: string | undefined): CallLogger => ({
    info: (message, fields) => emit('info', callSid, message, fields),
    warn: (message, fields) => emit('warn', callSid, message, fields),
    error: (message, fields) => emit('error', callSid, message, fields),
  });

  return { ...logger(undefined), forCall: (callSid) => logger(callSid) };
}

/**
 * Control characters written as escapes (ESC as \x1b): words from outside (a caller's number, a transcript, a peer's
 * error) must not move the cursor, recolour or retitle the terminal that shows the log, nor ring its bell.
 */
export function escapeControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A log that keeps its lines in memory: for tests and for embedding the bridge. */
export function createMemoryLog(format: LogFormat = 'text', secrets: readonly string[] = []): BridgeLog & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createBridgeLog({ format, secrets, write: (line) => lines.push(line) }), { lines });
}
