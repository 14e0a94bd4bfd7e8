import { constants } from 'node:fs';
import type { access, rename } from 'node:fs/promises';
import { chmod, lstat, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWritable, NotWritableError } from '../../src/config/atomic-write.js';
import { EnvEditRefusedError, updateEnvFile } from '../../src/config/env-editor.js';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-env-editor-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const ORIGINAL = '# mine\r\nOPENAI_API_KEY=sk-proj-abc\r\nASSISTANT_ID=wf_old # from Agent Builder\r\nPORT=5000';
const setId = [{ action: 'set' as const, key: 'ASSISTANT_ID', value: 'agent_new' }];

describe('writing the .env file', () => {
  it('replaces the file atomically and leaves no temporary file behind', async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    const result = await updateEnvFile(path, setId);
    expect(result.written).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(ORIGINAL.replace('wf_old', 'agent_new'));
    expect(await readdir(folder)).toEqual(['.env']);
  });

  it("keeps the file's permissions", async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    await chmod(path, 0o640);
    await updateEnvFile(path, setId);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it('creates a missing file readable by its owner only', async () => {
    const path = join(folder, '.env');
    const result = await updateEnvFile(path, setId);
    expect(result.created).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('ASSISTANT_ID=agent_new\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('leaves the original byte-identical when the step between the temporary file and the rename fails', async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    let temporaryPath = '';
    const attempt = updateEnvFile(path, setId, {
      beforeRename: async (temporary) => {
        temporaryPath = temporary;
        // The new content is complete on disk at this point: only the rename is missing.
        expect(await readFile(temporary, 'utf8')).toBe(ORIGINAL.replace('wf_old', 'agent_new'));
        throw Object.assign(new Error('disk unplugged'), { code: 'EIO' });
      },
    });
    await expect(attempt).rejects.toThrow('disk unplugged');
    expect(temporaryPath.startsWith(folder)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(ORIGINAL);
    expect(await readdir(folder)).toEqual(['.env']);
  });

  it('leaves the original untouched when the rename itself fails', async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    const failingRename: typeof rename = async () => {
      throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
    };
    await expect(updateEnvFile(path, setId, { fs: { rename: failingRename } })).rejects.toThrow('EXDEV');
    expect(await readFile(path, 'utf8')).toBe(ORIGINAL);
    expect(await readdir(folder)).toEqual(['.env']);
  });

  it('leaves a write-protected file as it is, though its folder would allow replacing it', async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    await chmod(path, 0o444);
    // What the system answers a user who is not root; root may write anyway, so the answer is given here.
    const readOnly: typeof access = async (file, mode) => {
      if (file === path && mode === constants.W_OK) throw Object.assign(new Error(`EACCES: permission denied, access '${file}'`), { code: 'EACCES' });
    };
    const error = await updateEnvFile(path, setId, { fs: { access: readOnly } }).catch((caught: unknown) => caught);
    expect((error as NodeJS.ErrnoException).code).toBe('EACCES');
    expect(await readFile(path, 'utf8')).toBe(ORIGINAL);
    expect((await stat(path)).mode & 0o777).toBe(0o444);
    expect(await readdir(folder)).toEqual(['.env']);
  });

  it('leaves a write-protected file as it is even when run as root, who may write to it all the same', async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    await chmod(path, 0o444);
    const error = await updateEnvFile(path, setId).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotWritableError);
    expect((error as NotWritableError).reason).toBe('it is write-protected (mode 0444)');
    expect((error as NotWritableError).fix).toBe(`Make it writable (chmod u+w ${path})`);
    expect(await readFile(path, 'utf8')).toBe(ORIGINAL);
    expect((await stat(path)).mode & 0o777).toBe(0o444);
    expect(await readdir(folder)).toEqual(['.env']);
  });

  it('leaves a file in a write-protected folder as it is, naming the folder', async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    await chmod(folder, 0o555);
    try {
      const error = await updateEnvFile(path, setId).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotWritableError);
      expect((error as NotWritableError).reason).toBe(`its folder ${folder} is write-protected (mode 0555), and the file is replaced through a new file written there`);
      expect((error as NotWritableError).fix).toBe(`Make the folder writable (chmod u+w ${folder})`);
      expect(await readFile(path, 'utf8')).toBe(ORIGINAL);
      expect(await readdir(folder)).toEqual(['.env']);
    } finally {
      await chmod(folder, 0o755);
    }
  });

  it('says whether a file can be changed before anything depends on it', async () => {
    const path = join(folder, '.env');
    await expect(checkWritable(path)).resolves.toBeUndefined();
    await writeFile(path, ORIGINAL);
    await expect(checkWritable(path)).resolves.toBeUndefined();
    await chmod(path, 0o400);
    await expect(checkWritable(path)).rejects.toThrow(`${path} cannot be changed: it is write-protected (mode 0400)`);
    await expect(checkWritable(join(folder, 'missing', '.env'))).rejects.toThrow(`its folder ${join(folder, 'missing')} does not exist`);
  });

  it('refuses a file that is not UTF-8, naming the line, and leaves every byte as it was', async () => {
    const path = join(folder, '.env');
    const windows1252 = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\r\nA=1\r\nNAME=Zo'), Buffer.from([0xeb]), Buffer.from('\r\n')]);
    await writeFile(path, windows1252);
    const error = await updateEnvFile(path, setId).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvEditRefusedError);
    expect((error as EnvEditRefusedError).line).toBe(1);
    expect((error as Error).message).toMatch(/^line 1 is not UTF-8 text .*Save the file as UTF-8$/);
    expect(await readFile(path)).toEqual(windows1252);
  });

  it('keeps a byte-order mark and a real U+FFFD of a UTF-8 file', async () => {
    const path = join(folder, '.env');
    await writeFile(path, '\ufeffSHOWN=\ufffd is fine\n');
    await updateEnvFile(path, setId);
    expect(await readFile(path, 'utf8')).toBe('\ufeffSHOWN=\ufffd is fine\nASSISTANT_ID=agent_new\n');
  });

  it('writes through a symlinked .env to the file it points at, keeping the link', async () => {
    const target = join(folder, 'shared.env');
    const link = join(folder, '.env');
    await writeFile(target, ORIGINAL);
    await symlink(target, link);
    await updateEnvFile(link, setId);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(target);
    expect(dotenvParse(await readFile(target, 'utf8')).ASSISTANT_ID).toBe('agent_new');
  });

  it('touches nothing on a dry run, yet reports the exact change', async () => {
    const path = join(folder, '.env');
    await writeFile(path, ORIGINAL);
    const before = await stat(path);
    const result = await updateEnvFile(path, setId, { dryRun: true });
    expect(result.written).toBe(false);
    expect(result.hunks).toEqual([
      { oldLine: 3, newLine: 3, removed: ['ASSISTANT_ID=wf_old # from Agent Builder'], added: ['ASSISTANT_ID=agent_new # from Agent Builder'] },
    ]);
    expect(await readFile(path, 'utf8')).toBe(ORIGINAL);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('does not rewrite a file that already says the same thing', async () => {
    const path = join(folder, '.env');
    await writeFile(path, 'ASSISTANT_ID=agent_new\n');
    const result = await updateEnvFile(path, setId);
    expect(result.written).toBe(false);
  });

  it('refuses a file it cannot round-trip, and leaves it as it was', async () => {
    const path = join(folder, '.env');
    const broken = 'A=1\nB="never closed\nC=3\n';
    await writeFile(path, broken);
    const error = await updateEnvFile(path, setId).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvEditRefusedError);
    expect((error as EnvEditRefusedError).line).toBe(2);
    expect(await readFile(path, 'utf8')).toBe(broken);
  });
});
