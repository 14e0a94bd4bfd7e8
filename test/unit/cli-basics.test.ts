import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/run-cli.js';

describe('voicebridge CLI', () => {
  it('prints help with examples and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: voicebridge');
    expect(result.stdout).toContain('npx voicebridge doctor');
  });

  it('prints doctor help with examples', async () => {
    const result = await runCli(['doctor', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--explain');
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('shutdown_date');
    expect(result.stdout).toContain('VOICEBRIDGE_TODAY=YYYY-MM-DD');
  });

  it('exits 2 on an unknown option', async () => {
    const result = await runCli(['doctor', '--no-such-flag']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('exits 2 when --env-file is given an empty path', async () => {
    const result = await runCli(['doctor', '--env-file', '']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--env needs the path of a file');
  });

  it('stops quietly when the reader of its output goes away (voicebridge doctor | head)', async () => {
    const child = spawn(process.execPath, ['--', BIN, 'doctor', '--explain', '31920'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader closes its end before a line is written, as head does once it has its lines.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('--env, the env file option Node leaves alone', () => {
  /** Runs `node <bin> …` without "--": how npx's own Node, and anyone typing node bin/voicebridge.js, passes the words. */
  function runWithoutDashes(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it.each([['doctor'], ['serve'], ['call'], ['create-assistant']])('%s --env nope.env: voicebridge answers, however Node was started', async (command) => {
    const cwd = await mkdtemp(join(tmpdir(), 'voicebridge-env-option-'));
    try {
      const result = await runWithoutDashes([command, '--env', 'nope.env'], cwd);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stderr).not.toContain('not found');
      expect(result.stdout + result.stderr).toContain(join(cwd, 'nope.env'));
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('reads the file --env names, as --env-file does', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'voicebridge-env-option-'));
    try {
      await writeFile(join(cwd, 'prod.env'), 'PORT=5077\n');
      const viaEnv = await runCli(['doctor', '--json', '--env', 'prod.env'], { cwd });
      const viaEnvFile = await runCli(['doctor', '--json', '--env-file', 'prod.env'], { cwd });
      const envFileCheck = (stdout: string): unknown => (JSON.parse(stdout) as { checks: Array<{ id: string }> }).checks.find((check) => check.id === 'env-file');
      expect(envFileCheck(viaEnv.stdout)).toEqual({ id: 'env-file', title: '.env file', status: 'ok', summary: `${join(cwd, 'prod.env')} (1 variable)`, detail: [], fix: null });
      expect(envFileCheck(viaEnvFile.stdout)).toEqual(envFileCheck(viaEnv.stdout));
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('refuses --env and --env-file naming two different files', async () => {
    const result = await runCli(['doctor', '--env', 'a.env', '--env-file', 'b.env']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --env a.env and --env-file b.env name two files: give one of them (--env works everywhere, also under npx).\n');
  });
});
