import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

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
  });

  it('exits 2 on an unknown option', async () => {
    const result = await runCli(['doctor', '--no-such-flag']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
  });
});
