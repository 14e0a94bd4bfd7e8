// Edits a user's .env file without losing anything: sets a key in place (or adds it), comments a line out with the
// reason, quotes values that need it, and proves with dotenv that the result means exactly what was intended before
// writing it atomically. Anything it cannot do safely it refuses, naming the line, rather than rewrite the file.
import { readFile } from 'node:fs/promises';
import { parse as dotenvParse } from 'dotenv';
import { writeFileAtomically, type AtomicWriteOptions } from './atomic-write.js';
import {
  entriesFor,
  parseEnvDocument,
  serializeEnvDocument,
  type CommentNode,
  type EntryNode,
  type EnvDocument,
  type EnvNode,
} from './env-document.js';
import { valueRenderings } from './env-value.js';
import { diffLines, type DiffHunk } from './line-diff.js';

export type EnvEdit =
  /** Sets the key: the line dotenv uses is changed in place, or a new line is added. */
  | {
      action: 'set';
      key: string;
      value: string;
      /** Where a new line goes when the key is not in the file: right after this key's line(s); else at the end. */
      after?: string;
    }
  /** Turns every line of the key into a comment, under a comment line giving the reason. */
  | { action: 'comment-out'; key: string; reason: string }
  /** Gives every line of the key a new name, keeping the rest of each line byte for byte. Refused when `to` is already set. */
  | { action: 'rename'; key: string; to: string };

export interface EnvChange {
  key: string;
  action: 'replaced' | 'added' | 'commented-out' | 'renamed' | 'unchanged';
  /** The new name, for a rename. */
  to?: string;
}

export interface EnvEditPlan {
  before: string;
  after: string;
  changed: boolean;
  changes: EnvChange[];
  /** The exact line-level difference, for showing the user. */
  hunks: DiffHunk[];
}

/** The file cannot be edited safely; `line` says where, when a line is to blame. */
export class EnvEditRefusedError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'EnvEditRefusedError';
  }
}

function sameValues(left: Record<string, string>, right: Record<string, string>): boolean {
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && left[key] === right[key]);
}

function intendedValues(nodes: readonly EnvNode[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const node of nodes) if (node.kind === 'entry') values[node.key] = node.value;
  return values;
}

/** True when dotenv reads the text as exactly the values the nodes intend, and the model reads it back cleanly. */
function readsBackAsIntended(nodes: readonly EnvNode[]): boolean {
  const text = nodes.map((node) => node.text + node.eol).join('');
  return sameValues(dotenvParse(text), intendedValues(nodes)) && parseEnvDocument(text).problems.length === 0;
}

function physicalLines(text: string): Array<{ text: string; eol: string }> {
  const parts = text.split(/(\r\n|\r|\n)/);
  const lines: Array<{ text: string; eol: string }> = [];
  for (let index = 0; index < parts.length; index += 2) lines.push({ text: parts[index]!, eol: parts[index + 1] ?? '' });
  return lines;
}

class DocumentEditor {
  readonly nodes: EnvNode[];
  readonly changes: EnvChange[] = [];
  /** The last node written for a key by this edit session, so a following `set … after` lands right below it. */
  private readonly anchors = new Map<string, EnvNode>();

  constructor(private readonly document: EnvDocument) {
    this.nodes = [...document.nodes];
  }

  commentOut(key: string, reason: string): void {
    const entries = this.nodes.filter((node): node is EntryNode => node.kind === 'entry' && node.key === key);
    if (entries.length === 0) {
      this.changes.push({ key, action: 'unchanged' });
      return;
    }
    const lineBreak = this.document.lineBreak;
    entries.forEach((entry, index) => {
      const lines = physicalLines(entry.text);
      const commented: CommentNode[] = lines.map((line, lineIndex) => ({
        kind: 'comment',
        line: entry.line + lineIndex,
        text: `# ${line.text}`,
        eol: (lineIndex < lines.length - 1 ? line.eol : entry.eol) as CommentNode['eol'],
      }));
      if (index === 0) {
        const reasonLine = reason
          .split(/\r\n|\r|\n/)
          .map((part): CommentNode => ({ kind: 'comment', line: entry.line, text: `# ${part}`, eol: lineBreak }));
        commented.unshift(...reasonLine);
      }
      this.nodes.splice(this.nodes.indexOf(entry), 1, ...commented);
      this.anchors.set(key, commented.at(-1)!);
    });
    if (!readsBackAsIntended(this.nodes)) {
      throw new EnvEditRefusedError(`Commenting out ${key} would change how dotenv reads other lines.`, entries[0]!.line);
    }
    this.changes.push({ key, action: 'commented-out' });
  }

  rename(key: string, to: string): void {
    const entries = this.nodes.filter((node): node is EntryNode => node.kind === 'entry' && node.key === key);
    if (entries.length === 0 || key === to) {
      this.changes.push({ key, action: 'unchanged' });
      return;
    }
    if (!/^[\w.-]+$/.test(to)) throw new EnvEditRefusedError(`${to} is not a name dotenv reads as a variable.`);
    const taken = this.nodes.find((node): node is EntryNode => node.kind === 'entry' && node.key === to);
    if (taken) throw new EnvEditRefusedError(`${to} is already set on line ${taken.line}: renaming ${key} would set it twice.`, taken.line);
    for (const entry of entries) {
      const keyEnd = entry.indent.length + entry.exportPrefix.length + entry.key.length;
      const renamed: EntryNode = { ...entry, key: to, text: entry.indent + entry.exportPrefix + to + entry.text.slice(keyEnd) };
      this.nodes.splice(this.nodes.indexOf(entry), 1, renamed);
      this.anchors.set(to, renamed);
    }
    if (!readsBackAsIntended(this.nodes)) {
      throw new EnvEditRefusedError(`Renaming ${key} to ${to} would change how dotenv reads the file.`, entries[0]!.line);
    }
    this.changes.push({ key, action: 'renamed', to });
  }

  set(key: string, value: string, after?: string): void {
    const existing = this.nodes.filter((node): node is EntryNode => node.kind === 'entry' && node.key === key).at(-1);
    if (existing) {
      if (existing.value === value) {
        this.changes.push({ key, action: 'unchanged' });
        return;
      }
      const index = this.nodes.indexOf(existing);
      let separator = existing.separator;
      let trailing = existing.trailing;
      if (existing.rawValue === '' && /^=\s+$/.test(separator)) {
        // An empty value: the spaces after a bare `=` are the gap before an inline comment (`KEY= # fill in`), so
        // they go after the new value rather than in front of it. (`KEY = …` is a spaced style, and stays.)
        const gap = /\s*$/.exec(separator)![0];
        separator = separator.slice(0, separator.length - gap.length);
        trailing = gap + trailing;
      }
      const prefix = existing.indent + existing.exportPrefix + existing.key + separator;
      for (const rendering of valueRenderings(value, existing.quote)) {
        // A bare value glued to its comment (`KEY=value#note`) reads the same, but looks like a `#` inside the value.
        const gap = quoteOf(rendering) === null && rendering !== '' && trailing.startsWith('#') ? ' ' : '';
        const replacement: EntryNode = {
          ...existing,
          separator,
          value,
          rawValue: rendering,
          quote: quoteOf(rendering),
          trailing: gap + trailing,
          text: prefix + rendering + gap + trailing,
        };
        const trial = [...this.nodes];
        trial[index] = replacement;
        if (readsBackAsIntended(trial)) {
          this.nodes.splice(index, 1, replacement);
          this.anchors.set(key, replacement);
          this.changes.push({ key, action: 'replaced' });
          return;
        }
      }
      throw new EnvEditRefusedError(`${key}'s new value cannot be written on this line in a way dotenv reads back exactly.`, existing.line);
    }

    const anchor = after === undefined ? undefined : (this.anchors.get(after) ?? entriesFor({ ...this.document, nodes: this.nodes }, after).at(-1));
    const anchorIndex = anchor ? this.nodes.indexOf(anchor) : this.nodes.length - 1;
    const everyEntryExported = this.nodes.some((node) => node.kind === 'entry') && this.nodes.every((node) => node.kind !== 'entry' || node.exportPrefix !== '');
    const exportPrefix = everyEntryExported ? 'export ' : '';
    for (const rendering of valueRenderings(value)) {
      const trial = [...this.nodes];
      const previous = trial[anchorIndex];
      // A file that ended without a final newline still does: the new last line takes over the missing break.
      let eol: EnvNode['eol'] = this.document.lineBreak;
      if (previous && previous.eol === '') {
        trial[anchorIndex] = { ...previous, eol: this.document.lineBreak };
        eol = '';
      }
      const text = `${exportPrefix}${key}=${rendering}`;
      const entry: EntryNode = {
        kind: 'entry',
        line: (previous?.line ?? 0) + 1,
        key,
        value,
        indent: '',
        exportPrefix,
        separator: '=',
        rawValue: rendering,
        quote: quoteOf(rendering),
        trailing: '',
        text,
        eol,
      };
      trial.splice(anchorIndex + 1, 0, entry);
      if (readsBackAsIntended(trial)) {
        this.nodes.splice(0, this.nodes.length, ...trial);
        this.anchors.set(key, entry);
        this.changes.push({ key, action: 'added' });
        return;
      }
    }
    throw new EnvEditRefusedError(`${key}'s value cannot be written in a way dotenv reads back exactly.`);
  }
}

function quoteOf(rendering: string): EntryNode['quote'] {
  const first = rendering[0];
  return rendering.length >= 2 && (first === '"' || first === "'" || first === '`') && rendering.endsWith(first) ? first : null;
}

/** Applies the edits to the text in memory. Throws EnvEditRefusedError when the file cannot be edited safely. */
export function planEnvEdits(before: string, edits: readonly EnvEdit[]): EnvEditPlan {
  const document = parseEnvDocument(before);
  const problem = document.problems[0];
  if (problem) {
    throw new EnvEditRefusedError(`line ${problem.line}: ${problem.message}. It is left untouched rather than rewritten.`, problem.line);
  }
  const editor = new DocumentEditor(document);
  for (const edit of edits) {
    if (edit.action === 'set') editor.set(edit.key, edit.value, edit.after);
    else if (edit.action === 'rename') editor.rename(edit.key, edit.to);
    else editor.commentOut(edit.key, edit.reason);
  }
  const after = serializeEnvDocument({ ...document, nodes: editor.nodes });
  return { before, after, changed: after !== before, changes: editor.changes, hunks: diffLines(before, after) };
}

export interface UpdateEnvFileResult extends EnvEditPlan {
  path: string;
  /** True when the file did not exist and was created (with mode 0600). */
  created: boolean;
  /** False for a dry run, or when nothing needed to change. */
  written: boolean;
}

export interface UpdateEnvFileOptions extends AtomicWriteOptions {
  /** Plan and report the change without touching the file. */
  dryRun?: boolean;
}

/** The 1-based line holding the first bytes that are not UTF-8, counting line breaks as the document model does. */
function firstLineNotUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let index = 0; index <= bytes.length; index += 1) {
    const byte = bytes[index];
    if (index < bytes.length && byte !== 0x0a && byte !== 0x0d) continue;
    try {
      decoder.decode(bytes.subarray(start, index));
    } catch {
      return line;
    }
    // CR LF is one line break; a CR or LF alone is one too. (No byte of a multi-byte UTF-8 character is CR or LF.)
    if (byte === 0x0d && bytes[index + 1] === 0x0a) index += 1;
    start = index + 1;
    line += 1;
  }
  return 1;
}

/**
 * The file's text exactly, byte for byte. A file that is not UTF-8 (saved as Latin-1, Windows-1252 or UTF-16) is
 * refused: decoding it would turn its other bytes into U+FFFD, and writing it back would change lines nobody asked
 * to change.
 */
export function decodeEnvFile(bytes: Uint8Array): string {
  try {
    // ignoreBOM keeps a byte-order mark in the text, so that the document puts it back.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const line = firstLineNotUtf8(bytes);
    throw new EnvEditRefusedError(
      `line ${line} is not UTF-8 text (the file may have been saved as Latin-1, Windows-1252 or UTF-16), so writing the file back would change that line. Save the file as UTF-8`,
      line,
    );
  }
}

/** Reads the file as decodeEnvFile does; undefined when it does not exist. */
export async function readEnvFileText(path: string): Promise<string | undefined> {
  try {
    return decodeEnvFile(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads the file (a missing one counts as empty), plans the edits and, unless it is a dry run, writes atomically. */
export async function updateEnvFile(path: string, edits: readonly EnvEdit[], options: UpdateEnvFileOptions = {}): Promise<UpdateEnvFileResult> {
  const text = await readEnvFileText(path);
  const exists = text !== undefined;
  const before = text ?? '';
  const plan = planEnvEdits(before, edits);
  if (options.dryRun || (!plan.changed && exists)) return { ...plan, path, created: false, written: false };
  const written = await writeFileAtomically(path, plan.after, options);
  return { ...plan, path: written.path, created: written.created, written: true };
}
