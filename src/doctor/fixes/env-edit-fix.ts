// A fix that edits .env through the safe editor: the edits are worked out from the file as it is when the fix is
// offered (earlier fixes may have changed it), shown as the exact line diff, and written atomically once confirmed.
// A file the editor cannot change safely (a line it cannot read back, bytes that are not UTF-8) is left alone, and
// the refusal names the line before anything is offered: the file is read exactly as the editor will write it.
// So is a file that may not be changed (write-protected, even for root), and while another voicebridge run holds the
// .env lock the change waits for a later run rather than interleave with it.
import { checkWritable, NotWritableError } from '../../config/atomic-write.js';
import { parseEnvDocument, type EnvDocument } from '../../config/env-document.js';
import { EnvEditRefusedError, planEnvEdits, readEnvFileText, updateEnvFile, type EnvEdit } from '../../config/env-editor.js';
import { acquireEnvLock, EnvBusyError, type EnvLock } from '../../config/env-lock.js';
import { secretsInEnvDocument } from '../../config/env-secrets.js';
import type { AutoFix, FixContext, FixOutcome, FixPlan } from '../check.js';
import { showEnvChange } from './show-env-change.js';

export interface EnvEditFixSpec {
  id: string;
  description: string;
  /** The .env file to edit (absolute). */
  envPath: string;
  /** Secrets to mask in what is shown, besides every key and token the file itself holds. */
  secrets: readonly string[];
  /** The edits for the file as it is now; none when there is nothing left to do. */
  edits(document: EnvDocument, context: FixContext): EnvEdit[];
}

/** The file's text as the editor reads it (a missing file is empty); EnvEditRefusedError when it is not UTF-8. */
export async function readEnvTextForEdit(path: string): Promise<string> {
  return (await readEnvFileText(path)) ?? '';
}

/** "line 3: …" for a refusal, whichever way the editor worded it. */
export function refusalText(error: EnvEditRefusedError): string {
  const message = error.message.replace(/\.$/, '');
  return error.line !== undefined && !/^line \d+/.test(message) ? `line ${error.line}: ${message}` : message;
}

/**
 * Why the file may not be changed and what to do, or undefined when it may: asked before a change is offered, so
 * that nobody confirms a change that cannot be made.
 */
export async function whyNotWritable(path: string): Promise<{ reason: string; fix: string } | undefined> {
  try {
    await checkWritable(path);
    return undefined;
  } catch (error) {
    if (error instanceof NotWritableError) return { reason: error.reason, fix: error.fix };
    throw error;
  }
}

function failureText(error: unknown): string {
  if (error instanceof EnvEditRefusedError) return refusalText(error);
  if (error instanceof NotWritableError) return error.reason;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  return (error as Error).message;
}

export function envEditFix(spec: EnvEditFixSpec): AutoFix {
  const byHand = `Change ${spec.envPath} by hand, then run the doctor again.`;
  return {
    id: spec.id,
    description: spec.description,
    async plan(context): Promise<FixPlan> {
      let text: string;
      try {
        text = await readEnvTextForEdit(spec.envPath);
      } catch (error) {
        if (error instanceof EnvEditRefusedError) return { kind: 'cannot', reason: `${spec.envPath} was left as it is: ${refusalText(error)}. ${byHand}` };
        return { kind: 'cannot', reason: `${spec.envPath} cannot be read (${failureText(error)}). ${byHand}` };
      }
      const document = parseEnvDocument(text);
      const edits = spec.edits(document, context);
      if (edits.length === 0) return { kind: 'not-needed', reason: `${spec.envPath} already says this` };
      try {
        const plan = planEnvEdits(text, edits);
        if (!plan.changed) return { kind: 'not-needed', reason: `${spec.envPath} already says this` };
        const blocked = await whyNotWritable(spec.envPath);
        if (blocked) {
          return { kind: 'cannot', reason: `${spec.envPath} was left as it is: ${blocked.reason}. ${blocked.fix}, then run the doctor again; or change it by hand.` };
        }
        const secrets = [...spec.secrets, ...secretsInEnvDocument(document)];
        return { kind: 'change', lines: [spec.envPath, ...showEnvChange(plan.hunks, secrets)] };
      } catch (error) {
        if (!(error instanceof EnvEditRefusedError)) throw error;
        return { kind: 'cannot', reason: `${spec.envPath} was left as it is: ${refusalText(error)}. ${byHand}` };
      }
    },
    async apply(context): Promise<FixOutcome> {
      let lock: EnvLock | undefined;
      try {
        // Read, edit and written under the lock: a create-assistant running meanwhile would otherwise be overwritten.
        lock = await acquireEnvLock(spec.envPath, { command: 'doctor --fix' });
        const text = await readEnvTextForEdit(spec.envPath);
        const edits = spec.edits(parseEnvDocument(text), context);
        if (edits.length === 0) return { applied: false, message: `nothing to change: ${spec.envPath} already says this` };
        const result = await updateEnvFile(spec.envPath, edits);
        if (!result.written) return { applied: false, message: `nothing to change: ${spec.envPath} already says this` };
        return { applied: true, message: `updated ${result.path}` };
      } catch (error) {
        if (error instanceof EnvBusyError) return { applied: false, message: `${spec.envPath} was not changed: ${error.message}. ${error.fix}.` };
        if (error instanceof NotWritableError) return { applied: false, message: `${spec.envPath} was not changed: ${error.reason}. ${error.fix}, then run the doctor again.` };
        return { applied: false, message: `${spec.envPath} was not changed: ${failureText(error)}. ${byHand}` };
      } finally {
        await lock?.release();
      }
    },
  };
}
