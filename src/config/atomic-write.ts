// Replaces a file's content all at once: a temporary file in the same folder, flushed to disk, then renamed over
// the original. A crash or an error at any step leaves either the old file or the new one, never half of each.
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { shellQuote } from '../util/shell-quote.js';

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

/**
 * The file (or its folder) may not be changed. `reason` says why; `fix` is what to do, as a sentence without its final
 * full stop, so that callers can add what follows ("…, then run this command again."). `code` is the errno it stands for.
 */
export class NotWritableError extends Error {
  readonly code: string;
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly fix: string,
    code: string,
  ) {
    super(`${path} cannot be changed: ${reason}`);
    this.name = 'NotWritableError';
    this.code = code;
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** Why access() refused, in words, or undefined when it did not. */
async function accessRefusal(path: string, mode: number, fs: AtomicWriteFs): Promise<{ reason: string; code: string } | undefined> {
  try {
    await fs.access(path, mode);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
    if (code === 'EROFS') return { reason: 'the file system is read-only', code };
    if (code === 'EACCES' || code === 'EPERM') return { reason: 'this user may not write to it', code };
    throw error;
  }
}

/**
 * Throws NotWritableError unless the file at `path` may be replaced: the file (when it exists) and its folder (where
 * the new file is written and renamed over it) both writable for this user, and neither write-protected.
 *
 * A file or folder whose owner may not write it is write-protected: it means "do not change me". Root may write it
 * all the same (the system ignores permission bits for root, so access() says yes), and a rename ignores the file's
 * own permissions for everyone; so the mode bits themselves are read, and honoured whoever runs the command.
 */
export async function checkWritable(path: string, options: Pick<AtomicWriteOptions, 'fs'> = {}): Promise<void> {
  const fs = withDefaults(options.fs);
  const { target, existing } = await resolveTarget(path, fs);
  await assertWritable(target, existing, fs);
}

/**
 * The file a write to `path` lands in and its current stats: renaming over a symlink would replace the link itself,
 * so a link is followed to the file it points at. A file that does not exist yet is itself the target.
 */
async function resolveTarget(path: string, fs: AtomicWriteFs): Promise<{ target: string; existing: Stats | undefined }> {
  try {
    const target = await fs.realpath(path);
    return { target, existing: await fs.stat(target) };
  } catch (error) {
    if (!isMissing(error)) throw error;
    return { target: path, existing: undefined };
  }
}

async function assertWritable(target: string, existing: Stats | undefined, fs: AtomicWriteFs): Promise<void> {
  if (existing) {
    if ((existing.mode & 0o200) === 0) {
      throw new NotWritableError(target, `it is write-protected (mode ${octal(existing.mode)})`, `Make it writable (chmod u+w ${shellQuote(target)})`, 'EACCES');
    }
    const refused = await accessRefusal(target, constants.W_OK, fs);
    if (refused) {
      const fix =
        refused.code === 'EROFS'
          ? 'Make the file system writable, or point --env at a file on a writable one'
          : `Run the command as the file's owner, or give this user write access to ${shellQuote(target)}`;
      throw new NotWritableError(target, refused.reason, fix, refused.code);
    }
  }
  // The new content is written to a temporary file next to the target and renamed over it: the folder must allow both.
  const folder = dirname(target);
  let folderStats: Stats;
  try {
    folderStats = await fs.stat(folder);
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new NotWritableError(target, `its folder ${folder} does not exist`, `Create the folder (mkdir -p ${shellQuote(folder)}), or point --env at a file in a folder that exists`, 'ENOENT');
  }
  const what = existing ? 'the file is replaced through a new file written there' : 'the file is created there';
  if ((folderStats.mode & 0o200) === 0) {
    throw new NotWritableError(
      target,
      `its folder ${folder} is write-protected (mode ${octal(folderStats.mode)}), and ${what}`,
      `Make the folder writable (chmod u+w ${shellQuote(folder)})`,
      'EACCES',
    );
  }
  const refused = await accessRefusal(folder, constants.W_OK | constants.X_OK, fs);
  if (refused) {
    const reason = refused.code === 'EROFS' ? refused.reason : `this user may not create files in its folder ${folder}, and ${what}`;
    const fix =
      refused.code === 'EROFS'
        ? 'Make the file system writable, or point --env at a file on a writable one'
        : `Run the command as the folder's owner, or give this user write access to ${shellQuote(folder)}`;
    throw new NotWritableError(target, reason, fix, refused.code);
  }
}

function withDefaults(overrides: Partial<AtomicWriteFs> = {}): AtomicWriteFs {
  return {
    open: nodeFs.open,
    rename: nodeFs.rename,
    unlink: nodeFs.unlink,
    stat: nodeFs.stat,
    realpath: nodeFs.realpath,
    access: nodeFs.access,
    ...overrides,
  };
}

export async function writeFileAtomically(path: string, text: string, options: AtomicWriteOptions = {}): Promise<AtomicWriteResult> {
  const fs = withDefaults(options.fs);

  const { target, existing } = await resolveTarget(path, fs);
  await assertWritable(target, existing, fs);
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
