// One run at a time changes a .env: the lock next to it, who holds it, and when a lock left behind may be taken over.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireEnvLock, EnvBusyError, STALE_AFTER_MS, type EnvLock } from '../../src/config/env-lock.js';

let folder: string;
let envPath: string;
let lockPath: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'voicebridge-env-lock-'));
  envPath = join(folder, '.env');
  lockPath = join(folder, '.env.lock');
  await writeFile(envPath, 'PORT=5000\n');
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** The ID of a process that has exited. */
async function finishedProcessId(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function lockText(fields: { pid: number; host?: string; command?: string; since?: string; token?: string }): string {
  return JSON.stringify({ host: hostname(), command: 'create-assistant', since: '2026-11-24T12:00:00.000Z', token: 'left-behind', ...fields });
}

async function makeOld(path: string, ms: number): Promise<void> {
  const then = new Date(Date.now() - ms);
  await utimes(path, then, then);
}

describe('the .env lock', () => {
  it('lets one run hold it, tells another which run holds it, and is gone once released', async () => {
    const lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
    expect(lock.path).toBe(lockPath);

    const error = await acquireEnvLock(envPath, { command: 'doctor --fix' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvBusyError);
    expect((error as EnvBusyError).message).toMatch(
      new RegExp(`^another voicebridge run is changing ${envPath} right now \\(voicebridge create-assistant, process ${process.pid} on this machine, since \\d{4}-`),
    );
    expect((error as EnvBusyError).fix).toContain(`delete the lock (rm ${lockPath})`);

    await lock.release();
    expect(await readdir(folder)).toEqual(['.env']);
    const next = await acquireEnvLock(envPath, { command: 'doctor --fix' });
    await next.release();
  });

  it('goes to exactly one of many runs asking at once', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, () => acquireEnvLock(envPath, { command: 'create-assistant' })));
    const held = attempts.filter((attempt): attempt is PromiseFulfilledResult<EnvLock> => attempt.status === 'fulfilled');
    expect(held).toHaveLength(1);
    for (const attempt of attempts) if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(EnvBusyError);
    await held[0]!.value.release();
  });

  it('takes over a lock whose process is no longer running', async () => {
    await writeFile(lockPath, lockText({ pid: await finishedProcessId() }));
    const lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, command: 'create-assistant' });
    await lock.release();
    expect(await readdir(folder)).toEqual(['.env']);
  });

  it('respects a fresh lock from another machine, and takes over one nobody has refreshed for a while', async () => {
    await writeFile(lockPath, lockText({ pid: 1, host: 'build-server' }));
    const error = await acquireEnvLock(envPath, { command: 'create-assistant' }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('(voicebridge create-assistant, process 1 on build-server, since 2026-11-24T12:00:00.000Z)');

    await makeOld(lockPath, STALE_AFTER_MS + 1_000);
    const lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
    await lock.release();
  });

  it('respects an empty lock file being written right now, and takes over one left empty by a crash', async () => {
    await writeFile(lockPath, '');
    await expect(acquireEnvLock(envPath, { command: 'create-assistant' })).rejects.toThrow(`another voicebridge run is changing ${envPath} right now`);

    await makeOld(lockPath, 60_000);
    const lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
    await lock.release();
  });

  it('gives a lock found the moment it was created time to say who holds it, and names that run', async () => {
    await writeFile(lockPath, '');
    setTimeout(() => void writeFile(lockPath, lockText({ pid: process.pid, command: 'doctor --fix' })), 100);
    const error = await acquireEnvLock(envPath, { command: 'create-assistant' }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain(`(voicebridge doctor --fix, process ${process.pid} on this machine, since 2026-11-24T12:00:00.000Z)`);
  });

  it('leaves alone a lock another run took over, when releasing', async () => {
    const lock = await acquireEnvLock(envPath, { command: 'create-assistant' });
    const theirs = lockText({ pid: process.pid, token: 'someone-else' });
    await writeFile(lockPath, theirs);
    await lock.release();
    expect(await readFile(lockPath, 'utf8')).toBe(theirs);
  });

  it('locks a symlinked .env at the file it points at, so every link to it shares one lock', async () => {
    const shared = join(folder, 'shared.env');
    await writeFile(shared, 'PORT=5000\n');
    const link = join(folder, 'link.env');
    await symlink(shared, link);
    const lock = await acquireEnvLock(link, { command: 'create-assistant' });
    expect(lock.path).toBe(join(folder, 'shared.env.lock'));
    await expect(acquireEnvLock(shared, { command: 'doctor --fix' })).rejects.toBeInstanceOf(EnvBusyError);
    await lock.release();
  });
});
