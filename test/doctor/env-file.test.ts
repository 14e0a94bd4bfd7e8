import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { readEnvFile } from '../../src/config/env-file.js';
import type { CheckResult } from '../../src/doctor/check.js';
import { envFileCheck } from '../../src/doctor/checks/env-file.js';
import { leaksSecret, runCheck, visibleText } from './openai-check-context.js';

const OPENAI_KEY = 'sk-proj-Hq3Lm8Zr2Tb7Vn1Wc6Yd0Hf5Jk9Pg4SeAAA';
const OLD_OPENAI_KEY = 'sk-proj-Old0Key1That2Was3Replaced4Later5BBB';
const AUTH_TOKEN = '5f4dcc3b5aa765d61d8327deb882cf99';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'voicebridge-env-'));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** Runs the check as `voicebridge doctor` would in `folder`, with this .env text (or none) and process environment. */
async function checkFile(text: string | Buffer | undefined, env: Record<string, string> = {}, envFileOption?: string): Promise<CheckResult> {
  if (text !== undefined) writeFileSync(join(folder, '.env'), text);
  const snapshot = readEnvFile(envFileOption ?? '.env', envFileOption !== undefined, folder);
  const result = await runCheck(envFileCheck, buildConfig(snapshot, env));
  for (const secret of [OPENAI_KEY, OLD_OPENAI_KEY, AUTH_TOKEN]) expect(leaksSecret(visibleText(result), secret)).toBe(false);
  return result;
}

const CLEAN = [
  '# voicebridge',
  `OPENAI_API_KEY=${OPENAI_KEY}`,
  `TWILIO_AUTH_TOKEN=${AUTH_TOKEN}`,
  'TWILIO_PHONE_NUMBER=+14155550123',
  'WEBHOOK_URL=https://voice.example.net',
  '',
].join('\n');

describe('the .env file check', () => {
  it('passes a clean file and counts its variables', async () => {
    const result = await checkFile(CLEAN);
    expect(result.status).toBe('ok');
    expect(result.summary).toBe(`${join(folder, '.env')} (4 variables)`);
  });

  it('warns, not fails, when there is no .env but the variables come from the process environment', async () => {
    const result = await checkFile(undefined, { OPENAI_API_KEY: OPENAI_KEY, TWILIO_AUTH_TOKEN: AUTH_TOKEN });
    expect(result.status).toBe('warn');
    expect(result.summary).toContain('using 2 variables from the process environment');
    expect(result.fix).toContain('.env.example');
  });

  it('fails when there is no .env and nothing is configured at all', async () => {
    const result = await checkFile(undefined);
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('no voicebridge variables in the environment');
    expect(result.fix).toContain('--env PATH');
  });

  it('fails when the file given with --env-file does not exist, even if the environment has variables', async () => {
    const result = await checkFile(undefined, { OPENAI_API_KEY: OPENAI_KEY }, 'config/prod.env');
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`${join(folder, 'config/prod.env')} does not exist`);
    expect(result.fix).toContain('Check the path given to --env (it is relative to the current folder)');
  });

  it('fails when the path is a folder, saying so', async () => {
    mkdirSync(join(folder, 'settings'));
    const result = await checkFile(undefined, {}, 'settings');
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('cannot be read: it is a folder, not a file');
  });

  it('warns about an empty file', async () => {
    const result = await checkFile('\n\n');
    expect(result.status).toBe('warn');
    expect(result.summary).toContain('is empty');
  });

  it('names a duplicate key with its lines and says the last one wins, without showing either value', async () => {
    const result = await checkFile(`OPENAI_API_KEY=${OLD_OPENAI_KEY}\n${CLEAN}`);
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('line 1: OPENAI_API_KEY is set 2 times (lines 1, 3); dotenv uses the last one, line 3; delete the others');
  });

  it('finds a quote that is never closed, and one that swallows the lines below it', async () => {
    const result = await checkFile(
      [`OPENAI_API_KEY="${OPENAI_KEY}`, 'TWILIO_PHONE_NUMBER=+14155550123', `TWILIO_AUTH_TOKEN=${AUTH_TOKEN}"`, "WEBHOOK_URL='https://voice.example.net"].join('\n'),
    );
    expect(result.status).toBe('warn');
    expect(result.detail).toEqual([
      'line 1: the quote that opens the value of OPENAI_API_KEY is not closed on its line, so dotenv reads up to line 3 as that value and ignores ' +
        'TWILIO_PHONE_NUMBER (line 2), TWILIO_AUTH_TOKEN (line 3); close the quote on line 1',
      "line 4: the value of WEBHOOK_URL opens a ' quote that is never closed, so the quote becomes part of the value; close it or remove it",
    ]);
  });

  it('finds a stray closing quote', async () => {
    const result = await checkFile('TWILIO_PHONE_NUMBER=+14155550123"\n');
    expect(result.detail).toEqual(['line 1: the value of TWILIO_PHONE_NUMBER ends with a stray " quote that becomes part of the value; remove it or add the opening quote']);
  });

  it('flags spaces around "=" with the line number', async () => {
    const result = await checkFile(`${CLEAN}PORT = 5050\n`);
    expect(result.status).toBe('warn');
    expect(result.detail).toEqual(['line 6: PORT has spaces around "=": dotenv trims them, but a shell or docker --env-file does not; write PORT=value']);
    expect(result.fix).toContain('no spaces around =');
  });

  it('fails a file saved as UTF-16, from which not one variable can be read, and says how to save it as UTF-8', async () => {
    const result = await checkFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CLEAN, 'utf16le')]));
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`${join(folder, '.env')} is saved as UTF-16, so not one variable can be read from it`);
    expect(result.fix).toContain('Save it as UTF-8');
  });

  it('warns about a file saved as Latin-1, naming the first line that is not UTF-8', async () => {
    const result = await checkFile(Buffer.from(`${CLEAN}GREETING=Bonjour, ici la clinique Hélène\n`, 'latin1'));
    expect(result.status).toBe('warn');
    expect(result.detail).toContain(
      'line 6: this is not UTF-8 text (the file was saved as Latin-1 or Windows-1252), so its accented letters are read as �, and doctor --fix and create-assistant will not edit the file; save it as UTF-8',
    );
  });

  it('flags Windows line endings', async () => {
    const result = await checkFile(CLEAN.replace(/\n/g, '\r\n'));
    expect(result.status).toBe('warn');
    expect(result.detail?.[0]).toContain('Windows (CRLF) line endings');
  });

  it('notes an export prefix without counting it as a problem', async () => {
    const result = await checkFile(`${CLEAN}export PORT=5050\n`);
    expect(result.status).toBe('ok');
    expect(result.detail).toEqual(['line 6: PORT has an "export " prefix: dotenv accepts it (and a shell needs it), nothing to change']);
  });

  it('warns when an unquoted # cuts a value short', async () => {
    const result = await checkFile(`${CLEAN}GREETING=Hello#1 caller\n`);
    expect(result.detail).toEqual(['line 6: the value of GREETING is cut at "#" (dotenv reads the rest of the line as a comment); wrap the value in double quotes']);
  });

  it('warns about a line that is not KEY=value', async () => {
    const result = await checkFile(`${CLEAN}twilio phone number +14155550123\n`);
    expect(result.detail).toEqual(['line 6: this line is not KEY=value, so dotenv ignores it']);
  });

  it('names variables voicebridge does not read and the name they should have', async () => {
    const result = await checkFile(
      [`OPENAI_API_KEY=${OPENAI_KEY}`, `TWILIO_SID=AC0123456789abcdef0123456789abcdef`, `TWILLIO_AUTH_TOKEN=${AUTH_TOKEN}`, 'NGROK_URL=https://abc.ngrok.app', 'DEBUG=1', ''].join('\n'),
    );
    expect(result.status).toBe('warn');
    expect(result.detail).toEqual([
      'line 2: voicebridge does not read TWILIO_SID; rename it to TWILIO_ACCOUNT_SID',
      'line 3: voicebridge does not read TWILLIO_AUTH_TOKEN; rename it to TWILIO_AUTH_TOKEN',
      'line 4: voicebridge does not read NGROK_URL; rename it to WEBHOOK_URL',
    ]);
  });

  it('leaves another tool’s variable alone when the one voicebridge reads is set too', async () => {
    const result = await checkFile(`${CLEAN}PUBLIC_URL=https://acme-clinic.com\n`);
    expect(result.status).toBe('ok');
  });

  it('says when the shell environment overrides a value in the file', async () => {
    const result = await checkFile(CLEAN, { TWILIO_PHONE_NUMBER: '+14155550999', OPENAI_API_KEY: OPENAI_KEY });
    expect(result.status).toBe('warn');
    expect(result.detail).toEqual([
      'TWILIO_PHONE_NUMBER in this file is not used: your shell environment sets a different value, and the environment wins (unset TWILIO_PHONE_NUMBER there to use the file)',
    ]);
  });
});
