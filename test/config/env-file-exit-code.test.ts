// Every command treats a missing or unreadable --env-file the same way: exit 1 with the path, never a usage error.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('an env file that is missing or cannot be read', () => {
  // One rule for every command: the command line was well formed, the setup is not, so the exit code is 1 (never 2).
  it.each([
    ['doctor', 'nope.env'],
    ['doctor', 'folder.env'],
    ['serve', 'nope.env'],
    ['serve', 'folder.env'],
    ['call', 'nope.env'],
    ['call', 'folder.env'],
    ['create-assistant', 'nope.env'],
    ['create-assistant', 'folder.env'],
  ])('%s --env-file %s exits 1', async (command, file) => {
    const cwd = await mkdtemp(join(tmpdir(), 'voicebridge-env-file-'));
    try {
      await mkdir(join(cwd, 'folder.env'));
      const result = await runCli([command, '--env-file', file], { cwd });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout + result.stderr).toContain(join(cwd, file));
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
