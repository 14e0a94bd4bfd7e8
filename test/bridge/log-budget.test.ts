import { describe, expect, it } from 'vitest';
import { LogBudget } from '../../src/server/log-budget.js';

describe('the log budget for lines anyone can cause', () => {
  it('writes the first lines of a kind in a window, notes the last one, and counts the rest', () => {
    let now = 0;
    const lines: string[] = [];
    const budget = new LogBudget({ perWindow: 3, windowMs: 60_000, now: () => now });
    for (let index = 1; index <= 10; index += 1) budget.write('refused', `refused ${index}`, (line) => lines.push(line));
    expect(lines).toEqual(['refused 1', 'refused 2', 'refused 3 (further ones in the next 60 s are counted, not logged)']);

    now += 59_999;
    budget.write('refused', 'refused 11', (line) => lines.push(line));
    expect(lines).toHaveLength(3);
    now += 1;
    budget.write('refused', 'refused 12', (line) => lines.push(line));
    expect(lines.at(-1)).toBe('refused 12 (8 more like it in the 60 s before were not logged)');
  });

  it('keeps a separate budget for each kind', () => {
    const lines: string[] = [];
    const budget = new LogBudget({ perWindow: 1, now: () => 0 });
    budget.write('a', 'a1', (line) => lines.push(line));
    budget.write('a', 'a2', (line) => lines.push(line));
    budget.write('b', 'b1', (line) => lines.push(line));
    expect(lines).toEqual(['a1 (further ones in the next 60 s are counted, not logged)', 'b1 (further ones in the next 60 s are counted, not logged)']);
  });
});
