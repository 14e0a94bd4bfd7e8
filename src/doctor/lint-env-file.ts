// Finds the mistakes in a .env file's text that make dotenv read something other than what the user meant.
// Findings name keys and line numbers only, never values: a .env file is full of secrets.

export interface EnvFileFinding {
  /** 1-based line number; absent for findings about the whole file. */
  line?: number;
  /** 'warn': dotenv (or another reader) gets a different value than intended; 'note': fine, worth knowing. */
  severity: 'warn' | 'note';
  message: string;
}

/** The pattern dotenv's `parse` uses to find each KEY=value (dotenv 17/18), so line spans match what it reads. */
const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

const ASSIGNMENT = /^\s*(?:export\s+)?([\w.-]+)\s*=/;

interface Entry {
  key: string;
  firstLine: number;
  lastLine: number;
  /** The value as written, quotes included, trimmed. */
  rawValue: string;
}

export function lintEnvText(text: string): EnvFileFinding[] {
  const findings: EnvFileFinding[] = [];
  if (/\r\n/.test(text)) {
    findings.push({
      severity: 'warn',
      message: 'the file has Windows (CRLF) line endings: dotenv copes, but a shell that sources it gets values ending in a hidden \\r; save it with LF line endings',
    });
  }
  const normalised = text.replace(/\r\n?/g, '\n');
  const lines = normalised.split('\n');
  const lineOf = lineIndex(normalised);

  const entries: Entry[] = [];
  const covered = new Set<number>();
  for (const match of normalised.matchAll(DOTENV_LINE)) {
    const key = match[1]!;
    const keyOffset = match.indices![1]![0];
    // The value's last character decides where the entry ends (a trailing comment may sit on a later line).
    const valueSpan = match.indices![2];
    const end = valueSpan ? Math.max(valueSpan[1] - 1, keyOffset) : keyOffset;
    const entry: Entry = { key, firstLine: lineOf(keyOffset), lastLine: lineOf(end), rawValue: (match[2] ?? '').trim() };
    entries.push(entry);
    for (let line = entry.firstLine; line <= entry.lastLine; line += 1) covered.add(line);
  }

  for (const entry of entries) {
    const source = lines[entry.firstLine - 1] ?? '';
    if (entry.lastLine > entry.firstLine) {
      const hidden = lines
        .slice(entry.firstLine, entry.lastLine)
        .map((line, index) => ({ key: ASSIGNMENT.exec(line)?.[1], line: entry.firstLine + 1 + index }))
        .filter((item): item is { key: string; line: number } => item.key !== undefined);
      if (hidden.length > 0) {
        findings.push({
          line: entry.firstLine,
          severity: 'warn',
          message:
            `the quote that opens the value of ${entry.key} is not closed on its line, so dotenv reads up to line ${entry.lastLine} as that value ` +
            `and ignores ${hidden.map((item) => `${item.key} (line ${item.line})`).join(', ')}; close the quote on line ${entry.firstLine}`,
        });
      }
      continue;
    }
    if (/^\s*export\s+/.test(source)) {
      findings.push({ line: entry.firstLine, severity: 'note', message: `${entry.key} has an "export " prefix: dotenv accepts it (and a shell needs it), nothing to change` });
    }
    if (/^\s*(?:export\s+)?[\w.-]+(?:\s+=|=[ \t]+\S)/.test(source)) {
      findings.push({
        line: entry.firstLine,
        severity: 'warn',
        message: `${entry.key} has spaces around "=": dotenv trims them, but a shell or docker --env-file does not; write ${entry.key}=value`,
      });
    }
    const quoteProblem = unbalancedQuote(entry.rawValue);
    if (quoteProblem) findings.push({ line: entry.firstLine, severity: 'warn', message: `the value of ${entry.key} ${quoteProblem}` });
    else if (/^[^'"`]/.test(entry.rawValue) && /^[^#]*\S#/.test(source.slice(source.indexOf('=') + 1))) {
      findings.push({
        line: entry.firstLine,
        severity: 'warn',
        message: `the value of ${entry.key} is cut at "#" (dotenv reads the rest of the line as a comment); wrap the value in double quotes`,
      });
    }
  }

  lines.forEach((line, index) => {
    const number = index + 1;
    if (covered.has(number) || line.trim() === '' || line.trim().startsWith('#')) return;
    findings.push({ line: number, severity: 'warn', message: 'this line is not KEY=value, so dotenv ignores it' });
  });

  const byKey = new Map<string, number[]>();
  for (const entry of entries) byKey.set(entry.key, [...(byKey.get(entry.key) ?? []), entry.firstLine]);
  for (const [key, at] of byKey) {
    if (at.length < 2) continue;
    const last = at[at.length - 1]!;
    findings.push({
      line: at[0],
      severity: 'warn',
      message: `${key} is set ${at.length} times (lines ${at.join(', ')}); dotenv uses the last one, line ${last}; delete the others`,
    });
  }

  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** Describes a quote that opens without closing (or closes without opening), or returns undefined. */
function unbalancedQuote(value: string): string | undefined {
  const first = value[0];
  const last = value[value.length - 1];
  const isQuote = (char: string | undefined): char is string => char === '"' || char === "'" || char === '`';
  if (isQuote(first) && (value.length < 2 || last !== first)) {
    return `opens a ${first} quote that is never closed, so the quote becomes part of the value; close it or remove it`;
  }
  if (!isQuote(first) && isQuote(last)) {
    return `ends with a stray ${last} quote that becomes part of the value; remove it or add the opening quote`;
  }
  return undefined;
}

function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let index = 0; index < text.length; index += 1) if (text[index] === '\n') starts.push(index + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}
