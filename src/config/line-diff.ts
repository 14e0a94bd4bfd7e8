// The exact difference between two versions of a small text file, as hunks of removed and added lines, so a
// command can show precisely what it changed (or would change) in a user's file.

export interface DiffHunk {
  /** 1-based line in the old text where the hunk starts (for an insertion: the line it goes before). */
  oldLine: number;
  /** 1-based line in the new text where the hunk starts. */
  newLine: number;
  removed: string[];
  added: string[];
}

/** Lines without their line breaks; a final line break does not make an extra empty line. */
function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|\r|\n/);
  if (/(\r\n|\r|\n)$/.test(text)) lines.pop();
  return lines;
}

/** Longest-common-subsequence diff; .env files have tens of lines, so the quadratic table is cheap. */
export function diffLines(before: string, after: string): DiffHunk[] {
  const oldLines = linesOf(before);
  const newLines = linesOf(after);
  const rows = oldLines.length;
  const columns = newLines.length;
  const common: number[][] = Array.from({ length: rows + 1 }, () => new Array<number>(columns + 1).fill(0));
  for (let row = rows - 1; row >= 0; row -= 1) {
    for (let column = columns - 1; column >= 0; column -= 1) {
      common[row]![column] =
        oldLines[row] === newLines[column] ? common[row + 1]![column + 1]! + 1 : Math.max(common[row + 1]![column]!, common[row]![column + 1]!);
    }
  }

  const hunks: DiffHunk[] = [];
  let current: DiffHunk | undefined;
  let row = 0;
  let column = 0;
  const hunk = (): DiffHunk => (current ??= { oldLine: row + 1, newLine: column + 1, removed: [], added: [] });
  while (row < rows || column < columns) {
    if (row < rows && column < columns && oldLines[row] === newLines[column]) {
      if (current) hunks.push(current);
      current = undefined;
      row += 1;
      column += 1;
    } else if (column < columns && (row === rows || common[row]![column + 1]! >= common[row + 1]![column]!)) {
      hunk().added.push(newLines[column]!);
      column += 1;
    } else {
      hunk().removed.push(oldLines[row]!);
      row += 1;
    }
  }
  if (current) hunks.push(current);
  return hunks;
}
