// One voicebridge command at a time changes a given .env. Two runs of create-assistant at once would each create an
// agent and each write its ID, the last one winning: every other agent orphaned, and every run saying it succeeded.
// A lock file next to .env, created only if it does not exist (O_EXCL), marks the run that may change the file;
// another run finds it and stops before doing anything, saying which run holds it.
//
// A run that dies without removing its lock (killed, the machine switched off) must not block the file forever: a
// lock is stale when its process is no longer running on this machine, or when it has not been refreshed for
// STALE_AFTER_MS (the holder refreshes it every REFRESH_EVERY_MS, so only a run on another machine sharing the
// folder, or a process ID reused since, is judged by age).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import * as fs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { shellQuote } from '../util/shell-quote.js';
import { voicebridgeCommand } from '../util/invocation.js';

export const REFRESH_EVERY_MS = 30_000;
export const STALE_AFTER_MS = 2 * 60_000;
/** A lock file with no readable content yet is being written right now, unless it is older than this. */
const UNREADABLE_GRACE_MS = 10_000;

/** What a lock file says about the run holding it. */
export interface EnvLockHolder {
  pid: number;
  host: string;
  /** The command holding it, e.g. "create-assistant". */
  command: string;
  /** ISO time it was taken. */
  since: string;
  /** Tells this holder's lock apart from a later one in the same place. */
  token: string;
}

/** Another run holds the lock: the message says which, and `fix` what to do. */
export class EnvBusyError extends Error {
  constructor(
    readonly envPath: string,
    readonly lockPath: string,
    readonly holder: EnvLockHolder | undefined,
  ) {
    super(`another voicebridge run is changing ${envPath} right now${holder ? ` (${describeHolder(holder)})` : ''}`);
    this.name = 'EnvBusyError';
  }

  /** What to do, as a sentence without its final full stop. */
  get fix(): string {
    return `Let that run finish, then see what it wrote with: ${voicebridgeCommand('doctor')}. If no voicebridge command is running, delete the lock (rm ${shellQuote(this.lockPath)}) and run this command again`;
  }
}

function describeHolder(holder: EnvLockHolder): string {
  const where = holder.host === hostname() ? 'on this machine' : `on ${holder.host}`;
  return `voicebridge ${holder.command}, process ${holder.pid} ${where}, since ${holder.since}`;
}

export interface EnvLock {
  readonly path: string;
  /** Removes the lock, if it is still this run's. Safe to call twice. */
  release(): Promise<void>;
}

export interface EnvLockOptions {
  /** The command taking the lock, shown to a run that finds it. */
  command: string;
}

/** The lock for the .env at `envPath`: next to the file actually written (a symlinked .env is locked at its target). */
export async function envLockPath(envPath: string): Promise<string> {
  let target = envPath;
  try {
    target = await fs.realpath(envPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return join(dirname(target), `${basename(target)}.lock`);
}

function parseHolder(text: string): EnvLockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<EnvLockHolder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string' || typeof value.token !== 'string') return undefined;
    return { pid: value.pid, host: value.host, command: String(value.command ?? 'command'), since: String(value.since ?? ''), token: value.token };
  } catch {
    return undefined;
  }
}

interface LockFound {
  holder: EnvLockHolder | undefined;
  modifiedMs: number;
}

async function readLock(path: string): Promise<LockFound | undefined> {
  try {
    const [text, stats] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    return { holder: parseHolder(text), modifiedMs: stats.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Reads the lock as readLock does, giving a holder that has just created it a moment to write what it says: the file
 * exists, empty, between the two steps.
 */
async function readLockOnceWritten(path: string): Promise<LockFound | undefined> {
  for (let attempt = 0; ; attempt += 1) {
    const found = await readLock(path);
    if (found?.holder !== undefined || found === undefined || attempt >= 20) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function isStale(found: LockFound, nowMs: number): boolean {
  const age = nowMs - found.modifiedMs;
  if (!found.holder) return age > UNREADABLE_GRACE_MS;
  if (found.holder.host === hostname() && !processIsRunning(found.holder.pid)) return true;
  return age > STALE_AFTER_MS;
}

/**
 * Removes a stale lock, unless another run replaced it with a fresh one since it was read. The lock is first moved
 * aside (atomic), then checked: removing it in place could remove a lock taken a moment ago by a run that judged
 * the same stale lock first.
 */
async function breakStaleLock(path: string, stale: LockFound): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await fs.rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readLock(aside);
  const same = moved !== undefined && (stale.holder ? moved.holder?.token === stale.holder.token : moved.modifiedMs === stale.modifiedMs);
  if (!same) {
    // A fresh lock: put it back where its holder expects it (unless yet another run has taken the place meanwhile).
    await fs.link(aside, path).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
}

/** Takes the lock for the .env at `envPath`, or throws EnvBusyError naming the run that holds it. */
export async function acquireEnvLock(envPath: string, options: EnvLockOptions): Promise<EnvLock> {
  const path = await envLockPath(envPath);
  const holder: EnvLockHolder = { pid: process.pid, host: hostname(), command: options.command, since: new Date().toISOString(), token: randomBytes(12).toString('hex') };

  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await fs.open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(holder)}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = await readLockOnceWritten(path);
    if (found === undefined) continue; // Released between the two steps: try again.
    if (attempt >= 3 || !isStale(found, Date.now())) throw new EnvBusyError(envPath, path, found.holder);
    await breakStaleLock(path, found);
  }

  // Refreshed while held, so that only a lock nobody refreshes any more is judged stale by its age.
  const refresh = setInterval(() => {
    const time = new Date();
    void fs.utimes(path, time, time).catch(() => undefined);
  }, REFRESH_EVERY_MS);
  refresh.unref();

  let released = false;
  return {
    path,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(refresh);
      // Only this run's own lock: had it been judged stale and taken over, the lock there now is another run's.
      const found = await readLock(path).catch(() => undefined);
      if (found?.holder?.token === holder.token) await fs.unlink(path).catch(() => undefined);
    },
  };
}
