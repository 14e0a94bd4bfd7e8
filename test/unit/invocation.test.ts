// Every command the output suggests is written the way voicebridge was started: npx voicebridge …, or voicebridge ….
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { invocationFrom, setInvocation, voicebridgeCommand } from '../../src/util/invocation.js';
import { explainText } from '../../src/knowledge/explain.js';
import { sipSettingsCheck } from '../../src/doctor/checks/sip-settings.js';
import { configFor } from '../agents/brain-harness.js';
import { fixedClock } from '../../src/util/clock.js';
import { BIN, runCli } from '../helpers/run-cli.js';

afterEach(() => setInvocation('npx voicebridge'));

describe('how voicebridge was started', () => {
  it('is npx voicebridge under npx, whatever path the bin has', () => {
    expect(invocationFrom({ npm_command: 'exec', npm_lifecycle_event: 'npx', PATH: '/p/node_modules/.bin' }, '/p/node_modules/.bin/voicebridge')).toBe('npx voicebridge');
  });

  it('is voicebridge for the installed command on PATH', () => {
    expect(invocationFrom({ PATH: ['/usr/bin', '/usr/local/bin'].join(delimiter) }, '/usr/local/bin/voicebridge')).toBe('voicebridge');
  });

  it('is npx voicebridge for a bin not on PATH, node bin/voicebridge.js, and npm run', () => {
    expect(invocationFrom({ PATH: '/usr/bin' }, '/p/node_modules/.bin/voicebridge')).toBe('npx voicebridge');
    expect(invocationFrom({ PATH: '/usr/bin' }, '/p/bin/voicebridge.js')).toBe('npx voicebridge');
    expect(invocationFrom({ npm_command: 'run-script', npm_lifecycle_event: 'doctor', PATH: '/p/node_modules/.bin' }, '/p/bin/voicebridge.js')).toBe('npx voicebridge');
  });

  it('writes every suggested command in that one form', () => {
    setInvocation('voicebridge');
    expect(voicebridgeCommand('doctor --fix')).toBe('voicebridge doctor --fix');
    const explanation = explainText('wf_68f1c2d3e4b5a69788a1b2c3d4e5f601', new Date('2026-11-24T12:00:00Z'));
    expect(explanation.fix).toContain('Run: voicebridge create-assistant (it creates an agent');
    expect(`${explanation.cause} ${explanation.fix}`).not.toContain('npx');
    setInvocation('npx voicebridge');
    expect(explainText('wf_68f1c2d3e4b5a69788a1b2c3d4e5f601', new Date('2026-11-24T12:00:00Z')).fix).toContain('Run: npx voicebridge create-assistant (it creates an agent');
  });

  it('writes the SIP checks\' setup-sip in that one form too', async () => {
    const config = configFor({ TRANSPORT: 'sip', OPENAI_PROJECT_ID: 'proj_abc123DEF456' });
    const context = { config, clock: fixedClock('2026-12-02'), results: new Map(), signal: new AbortController().signal };
    setInvocation('voicebridge');
    const installed = await sipSettingsCheck.run(context);
    expect(installed.fix).toBe('Run voicebridge setup-sip: it sets up the webhook endpoint and writes its signing secret into .env (the secret is shown only once, on creation).');
    setInvocation('npx voicebridge');
    expect((await sipSettingsCheck.run(context)).fix).toBe('Run npx voicebridge setup-sip: it sets up the webhook endpoint and writes its signing secret into .env (the secret is shown only once, on creation).');
  });
});

describe('the command line', () => {
  let folder: string | undefined;
  afterEach(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
    folder = undefined;
  });

  it('started as an installed voicebridge on PATH, suggests voicebridge …', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-bin-'));
    await symlink(BIN, join(folder, 'voicebridge'));
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn('voicebridge', ['doctor', '--explain', ''], {
        env: { PATH: [folder, process.env.PATH].join(delimiter), HOME: process.env.HOME, NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result).toEqual({ code: 2, stderr: 'error: --explain needs the text to explain: an error message, a Twilio error code or an ID, e.g. voicebridge doctor --explain 31920\n' });
  });

  it('started under npx, suggests npx voicebridge …', async () => {
    const result = await runCli(['doctor', '--explain', ''], { env: { npm_command: 'exec', npm_lifecycle_event: 'npx' } });
    expect(result.stderr).toBe('error: --explain needs the text to explain: an error message, a Twilio error code or an ID, e.g. npx voicebridge doctor --explain 31920\n');
  });
});
