// A lossless model of a .env file: every byte kept (comments, blank lines, order, quoting, `export `, CRLF or LF,
// a missing final newline, duplicate keys, multi-line quoted values), so that serialize(parse(text)) === text always.
// What a value means is decided by dotenv itself; lines the model cannot read the way dotenv does are listed as
// problems, so an editor can refuse to touch the file instead of guessing.
import { parse as dotenvParse } from 'dotenv';
import type { QuoteStyle } from './env-value.js';

export type LineBreak = '' | '\n' | '\r\n' | '\r';

interface NodeBase {
  /** 1-based number of the node's first physical line. */
  line: number;
  /** The node's exact text without its final line break (a multi-line value keeps its inner line breaks). */
  text: string;
  /** The line break that ends the node: '' only for a last line with no final newline. */
  eol: LineBreak;
}

export interface BlankNode extends NodeBase {
  kind: 'blank';
}

export interface CommentNode extends NodeBase {
  kind: 'comment';
}

/** `KEY=value`, `export KEY="value" # note`, `KEY: value`: text = indent + exportPrefix + key + separator + rawValue + trailing. */
export interface EntryNode extends NodeBase {
  kind: 'entry';
  key: string;
  /** The value as dotenv reads it. */
  value: string;
  indent: string;
  /** `export ` (with whatever spacing the file used) or ''. */
  exportPrefix: string;
  /** `=`, ` = `, `: `…, including the spaces after it. */
  separator: string;
  /** The value exactly as written, quotes included. */
  rawValue: string;
  quote: QuoteStyle | null;
  /** What follows the value on its last line: spaces and an inline comment. */
  trailing: string;
}

/** A line dotenv ignores that is neither blank nor a comment (e.g. `just some words`). */
export interface OtherNode extends NodeBase {
  kind: 'other';
}

export type EnvNode = BlankNode | CommentNode | EntryNode | OtherNode;

export interface EnvProblem {
  line: number;
  message: string;
}

export interface EnvDocument {
  /** A byte-order mark at the very start of the file, kept there whatever happens to the first line. */
  bom: '' | '\ufeff';
  nodes: EnvNode[];
  /** The file's usual line break, for lines an editor adds. */
  lineBreak: '\n' | '\r\n' | '\r';
  /** Lines the model cannot read the way dotenv does. Empty when the file is safe to edit. */
  problems: EnvProblem[];
}

interface PhysicalLine {
  text: string;
  eol: LineBreak;
}

// `s`: a line may hold U+2028/U+2029, which dotenv keeps inside a value but `.` would not match.
const ENTRY = /^(\s*)(export\s+)?([\w.-]+)(\s*=\s*|:\s+)(.*)$/s;
const AFTER_CLOSING_QUOTE = /^\s*(#.*)?$/s;

function splitLines(text: string): PhysicalLine[] {
  const lines: PhysicalLine[] = [];
  const lineBreak = /\r\n|\r|\n/g;
  let start = 0;
  for (let match = lineBreak.exec(text); match; match = lineBreak.exec(text)) {
    lines.push({ text: text.slice(start, match.index), eol: match[0] as LineBreak });
    start = match.index + match[0].length;
  }
  if (start < text.length) lines.push({ text: text.slice(start), eol: '' });
  return lines;
}

function dominantLineBreak(lines: PhysicalLine[]): EnvDocument['lineBreak'] {
  const counts = { '\n': 0, '\r\n': 0, '\r': 0 };
  for (const line of lines) if (line.eol !== '') counts[line.eol] += 1;
  if (counts['\r\n'] > counts['\n'] && counts['\r\n'] >= counts['\r']) return '\r\n';
  if (counts['\r'] > counts['\n']) return '\r';
  return '\n';
}

/** What dotenv reads for one entry's own text. */
export function readEntryValue(text: string, key: string): string {
  return dotenvParse(text)[key] ?? '';
}

/** The offset of the quote that closes a quoted value starting at `text[0]`, or -1. A `\` + quote pair does not close it. */
function closingQuote(text: string, quote: string): number {
  for (let index = 1; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\' && text[index + 1] === quote) index += 1;
    else if (char === quote) return index;
  }
  return -1;
}

interface EntryParse {
  node: EntryNode;
  /** How many physical lines the entry spans. */
  span: number;
  problem?: string;
}

function parseEntry(lines: PhysicalLine[], start: number, match: RegExpExecArray): EntryParse {
  const [, indent = '', exportPrefix = '', key = '', separator = '', rest = ''] = match;
  const line = start + 1;
  const entry = (rawValue: string, trailing: string, quote: QuoteStyle | null, span: number): EntryNode => {
    const inner = lines.slice(start, start + span);
    const text = inner.map((physical, index) => physical.text + (index < inner.length - 1 ? physical.eol : '')).join('');
    return { kind: 'entry', line, key, value: readEntryValue(text, key), indent, exportPrefix, separator, rawValue, quote, trailing, text, eol: inner.at(-1)!.eol };
  };
  const unquoted = (): EntryNode => {
    const hash = rest.indexOf('#');
    const rawValue = (hash < 0 ? rest : rest.slice(0, hash)).trimEnd();
    return entry(rawValue, rest.slice(rawValue.length), null, 1);
  };

  const quote = rest[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return { node: unquoted(), span: 1 };

  // A quoted value may run over several physical lines: look for its closing quote line by line.
  let joined = rest;
  for (let end = start; end < lines.length; end += 1) {
    if (end > start) joined += lines[end - 1]!.eol + lines[end]!.text;
    const close = closingQuote(joined, quote);
    if (close < 0) continue;
    const trailing = joined.slice(close + 1);
    if (AFTER_CLOSING_QUOTE.test(trailing)) {
      const span = end - start + 1;
      const node = entry(joined.slice(0, close + 1), trailing, quote, span);
      return { node, span };
    }
    if (end === start) {
      // `KEY="a"b`: dotenv falls back to reading the whole line as an unquoted value.
      return { node: unquoted(), span: 1 };
    }
    return {
      node: unquoted(),
      span: 1,
      problem: `the ${quote} quote opened here closes on line ${end + 1} with more text after it, so it is unclear where ${key}'s value ends`,
    };
  }
  return { node: unquoted(), span: 1, problem: `the ${quote} quote opened in ${key}'s value is never closed` };
}

function valuesOf(nodes: readonly EnvNode[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const node of nodes) if (node.kind === 'entry') values[node.key] = node.value;
  return values;
}

function sameValues(left: Record<string, string>, right: Record<string, string>): boolean {
  const leftKeys = Object.keys(left);
  if (leftKeys.length !== Object.keys(right).length) return false;
  return leftKeys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && right[key] === left[key]);
}

/**
 * Finds where the model and dotenv first disagree: the first node after which dotenv's reading of the text so far
 * differs from the model's. Lines are few in a .env, so re-reading each prefix costs nothing that matters.
 */
function firstDisagreement(nodes: readonly EnvNode[]): EnvProblem {
  let text = '';
  for (let index = 0; index < nodes.length; index += 1) {
    const node = nodes[index]!;
    text += node.text + node.eol;
    if (!sameValues(dotenvParse(text), valuesOf(nodes.slice(0, index + 1)))) {
      return { line: node.line, message: 'dotenv reads this line together with the lines around it, not as it looks on its own' };
    }
  }
  const firstOther = nodes.find((node) => node.kind === 'other') ?? nodes[0];
  return { line: firstOther?.line ?? 1, message: 'dotenv reads this file differently from how it looks line by line' };
}

export function parseEnvDocument(text: string): EnvDocument {
  const bom = text.startsWith('\ufeff') ? '\ufeff' : '';
  const lines = splitLines(text.slice(bom.length));
  const nodes: EnvNode[] = [];
  const problems: EnvProblem[] = [];
  for (let index = 0; index < lines.length; ) {
    const physical = lines[index]!;
    const line = index + 1;
    if (/^\s*$/.test(physical.text)) {
      nodes.push({ kind: 'blank', line, text: physical.text, eol: physical.eol });
      index += 1;
      continue;
    }
    if (/^\s*#/.test(physical.text)) {
      nodes.push({ kind: 'comment', line, text: physical.text, eol: physical.eol });
      index += 1;
      continue;
    }
    const match = ENTRY.exec(physical.text);
    if (!match) {
      nodes.push({ kind: 'other', line, text: physical.text, eol: physical.eol });
      index += 1;
      continue;
    }
    const parsed = parseEntry(lines, index, match);
    nodes.push(parsed.node);
    if (parsed.problem) problems.push({ line, message: parsed.problem });
    index += parsed.span;
  }
  if (problems.length === 0 && !sameValues(dotenvParse(text), valuesOf(nodes))) problems.push(firstDisagreement(nodes));
  return { bom, nodes, lineBreak: dominantLineBreak(lines), problems };
}

export function serializeEnvDocument(document: EnvDocument): string {
  return document.bom + document.nodes.map((node) => node.text + node.eol).join('');
}

/** The values the file sets, as dotenv reads them (the last of duplicate keys wins). */
export function documentValues(document: EnvDocument): Record<string, string> {
  return valuesOf(document.nodes);
}

/** Every entry for the key, in file order. */
export function entriesFor(document: EnvDocument, key: string): EntryNode[] {
  return document.nodes.filter((node): node is EntryNode => node.kind === 'entry' && node.key === key);
}

/** The entry dotenv uses for the key: the last one. */
export function effectiveEntry(document: EnvDocument, key: string): EntryNode | undefined {
  return entriesFor(document, key).at(-1);
}
