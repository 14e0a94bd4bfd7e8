// Replaces a file's content all at once: a temporary file in the same folder, flushed to disk, then renamed over
// the original. A crash or an error at any step leaves either the old file or the new one, never half of each.
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file-system calls the write uses; tests may replace one to make a step fail. */
export interface AtomicWriteFs {
  open: typeof nodeFs.open;
  rename: typeof nodeFs.rename;
  unlink: typeof nodeFs.unlink;
  stat: (path: string) => Promise<Stats>;
  realpath: typeof nodeFs.realpath;
  access: typeof nodeFs.access;
}

export interface AtomicWriteOptions {
  fs?: Partial<AtomicWriteFs>;
  /** Runs once the temporary file is complete and flushed, just before it replaces the target. */
  beforeRename?: (temporaryPath: string) => void | Promise<void>;
  /** Permissions of a file that does not exist yet: owner-only, because .env files hold secrets. */
  newFileMode?: number;
}

export interface AtomicWriteResult {
  /** The file actually written (a symlinked .env is written through to its target). */
  path: string;
  created: boolean;
  mode: number;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export async function writeFileAtomically(path: string, text: string, options: AtomicWriteOptions = {}): Promise<AtomicWriteResult> {
  const fs: AtomicWriteFs = {
    open: nodeFs.open,
    rename: nodeFs.rename,
    unlink: nodeFs.unlink,
    stat: nodeFs.stat,
    realpath: nodeFs.realpath,
    access: nodeFs.access,
    ...options.fs,
  };

  // Renaming over a symlink would replace the link itself; write to the file it points at instead.
  let target = path;
  let existing: Stats | undefined;
  try {
    target = await fs.realpath(path);
    existing = await fs.stat(target);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  // A write-protected file means "do not change me". Renaming over it would succeed all the same (only the folder's
  // permissions count for a rename), so ask first: this fails with EACCES, as writing to the file itself would.
  if (existing) await fs.access(target, constants.W_OK);
  const mode = existing ? existing.mode & 0o7777 : (options.newFileMode ?? 0o600);
  const temporaryPath = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);

  let temporaryExists = false;
  try {
    const handle = await fs.open(temporaryPath, 'wx', mode);
    temporaryExists = true;
    try {
      await handle.writeFile(text, 'utf8');
      // The umask may have narrowed the mode given to open; set it exactly.
      await handle.chmod(mode);
      if (existing && typeof process.getuid === 'function' && process.getuid() === 0) {
        // Run as root on someone else's file: keep its owner, or they could no longer read their own .env.
        await handle.chown(existing.uid, existing.gid);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.(temporaryPath);
    await fs.rename(temporaryPath, target);
    temporaryExists = false;
  } catch (error) {
    if (temporaryExists) await fs.unlink(temporaryPath).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(target), fs);
  return { path: target, created: existing === undefined, mode };
}

/** Flushes the folder entry so the rename itself survives a power cut. Not every platform allows it: best effort. */
async function syncFolder(folder: string, fs: AtomicWriteFs): Promise<void> {
  try {
    const handle = await fs.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open a folder for fsync; the rename is still atomic there.
  }
}
