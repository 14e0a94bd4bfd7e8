// create-assistant's spinner follows the doctor's rule: drawn only on a terminal that reports its width, and never in
// colour when the rest of the output has none.
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ChalkInstance } from 'chalk';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { runCreateAssistantCommand } from '../../src/cli/commands/create-assistant.js';
import { fixedClock } from '../../src/util/clock.js';
import { FakeOpenAI } from '../fakes/openai/fake-openai.js';
import { captureOutput, envWithKey, makeProject, processEnvFor, TODAY, type Project } from './project.js';

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

let fake: FakeOpenAI;
let project: Project;
beforeEach(async () => {
  fake = await FakeOpenAI.start();
  project = await makeProject(envWithKey('ASSISTANT_ID=\n'));
  // The spinner's library colours by its own colour detection, which does not read NO_COLOR: make it detect colour,
  // as it does on a real terminal.
  const path = createRequire(import.meta.resolve('ora')).resolve('chalk');
  const spinnerChalk = ((await import(pathToFileURL(path).href)) as { default: ChalkInstance }).default;
  const detected = spinnerChalk.level;
  spinnerChalk.level = 1;
  onTestFinished(() => {
    spinnerChalk.level = detected;
  });
});
afterEach(async () => {
  await fake.close();
  await project.remove();
});

async function dryRunOn(terminal: FakeTerminal): Promise<number> {
  const { output } = captureOutput();
  return runCreateAssistantCommand(
    { dryRun: true },
    { output: { ...output, isTTY: true }, cwd: project.dir, env: processEnvFor(fake), clock: fixedClock(`${TODAY}T12:00:00Z`), progress: terminal as unknown as NodeJS.WriteStream },
  );
}

describe('create-assistant on a terminal', () => {
  it('draws no spinner on a terminal that reports no width', async () => {
    const terminal = new FakeTerminal(0);
    expect(await dryRunOn(terminal)).toBe(0);
    expect(terminal.drawn).toBe('');
  });

  it('draws the spinner, without colour, on a terminal with a width when the output has none (NO_COLOR)', async () => {
    const terminal = new FakeTerminal(80);
    expect(await dryRunOn(terminal)).toBe(0);
    expect(terminal.drawn).toContain('Checking the ID already configured…');
    // No SGR colour code (ESC [ 3x m); the spinner's cursor codes are fine.
    expect(terminal.drawn).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[3\\dm`));
  });
});
