import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envExamplePath } from '../../src/util/env-example.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SHIPPED = join(ROOT, '.env.example');

describe('the .env.example a fix tells the user to copy', () => {
  it('is the one shipped with voicebridge, which the package publishes', async () => {
    expect(existsSync(SHIPPED)).toBe(true);
    expect(envExamplePath(ROOT)).toBe('.env.example');
    const { default: manifest } = (await import('../../package.json', { with: { type: 'json' } })) as { default: { files: string[] } };
    expect(manifest.files).toContain('.env.example');
  });

  it('is named by its full path from any other folder, where a bare .env.example does not exist (npx, a dependency)', () => {
    expect(envExamplePath('/tmp/my-phone-agent')).toBe(SHIPPED);
    expect(envExamplePath(join(ROOT, 'src'))).toBe(SHIPPED);
  });

  it('falls back to the bare name when the copy is missing', () => {
    expect(envExamplePath('/tmp/my-phone-agent', '/nowhere/.env.example')).toBe('.env.example');
  });
});
