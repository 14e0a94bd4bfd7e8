import { spawn } from 'node:child_process';
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
    expect(result.stderr).toContain('--env-file needs the path of a file');
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
