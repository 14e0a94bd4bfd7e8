// The doctor's "Checking…" spinner on a terminal: never on one that reports no width (it would never finish), and
// never in colour when the rest of the output has none.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { runDoctorCommand } from '../../src/cli/commands/doctor.js';
import { spinnerWanted } from '../../src/cli/spinner.js';
import type { Output } from '../../src/cli/output.js';
import { findFreePort } from '../../src/util/free-port.js';

/** A terminal as the spinner sees it: a TTY of the given width that records what is drawn on it. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly rows = 24;
  drawn = '';
  constructor(readonly columns: number) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.drawn += chunk.toString();
    callback();
  }
  cursorTo(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
}

function terminalOutput(colourLevel: 0 | 1): { output: Output; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    output: { chalk: new Chalk({ level: colourLevel }), isTTY: true, out: (text) => lines.push(text), err: (text) => lines.push(text), addSecrets: () => {} },
  };
}

/** The colour library instance the spinner library itself uses (its own copy, whatever version it depends on). */
async function spinnerLibraryChalk(): Promise<ChalkInstance> {
  const path = createRequire(import.meta.resolve('ora')).resolve('chalk');
  return ((await import(pathToFileURL(path).href)) as { default: ChalkInstance }).default;
}

let folder: string;
beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), 'voicebridge-doctor-progress-'));
  // Nothing that needs the network: the checks finish at once, the key check failing for the missing key.
  writeFileSync(join(folder, '.env'), `PORT=${await findFreePort('0.0.0.0')}\n`);
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('the doctor on a terminal', () => {
  it('draws no spinner on a terminal that reports no width (the spinner would clear lines forever there)', () => {
    const { output } = terminalOutput(1);
    expect(spinnerWanted(output, new FakeTerminal(0))).toBe(false);
    expect(spinnerWanted(output, new FakeTerminal(80))).toBe(true);
    expect(spinnerWanted({ ...output, isTTY: false }, new FakeTerminal(80))).toBe(false);
  });

  it('draws the spinner without colour when the output has none (NO_COLOR)', async () => {
    // The spinner's library colours by its own colour detection, which does not read NO_COLOR: make it detect colour, as
    // it does on a real terminal.
    const spinnerChalk = await spinnerLibraryChalk();
    const detected = spinnerChalk.level;
    spinnerChalk.level = 1;
    onTestFinished(() => {
      spinnerChalk.level = detected;
    });
    const terminal = new FakeTerminal(80);
    const { output, lines } = terminalOutput(0);
    const code = await runDoctorCommand({}, { output, env: {}, cwd: folder, progress: terminal as unknown as NodeJS.WriteStream });
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/problems? found/);
    // No SGR colour code (ESC [ 3x m); the spinner's cursor codes are fine.
    expect(terminal.drawn).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[3\\dm`));
  });
});
