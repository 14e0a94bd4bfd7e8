// `voicebridge demo` as a user runs it on a fresh machine: the built CLI, no .env, no accounts, nothing real called.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTHING_REAL_WAS_CALLED } from '../../src/cli/commands/demo.js';
import { DEFAULT_DEMO_SCRIPT, MAX_DEMO_LINE_CHARACTERS } from '../../src/demo/demo-script.js';
import { runCli } from '../helpers/run-cli.js';

let folder: string | undefined;

afterEach(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

/** Asserts that each pattern matches a line after the line the previous one matched; returns the matched lines. */
function expectInOrder(lines: string[], patterns: Array<string | RegExp>): string[] {
  const matched: string[] = [];
  let from = 0;
  for (const pattern of patterns) {
    const index = lines.findIndex((line, at) => at >= from && (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line)));
    expect(index, `"${String(pattern)}" after line ${from} of:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
    matched.push(lines[index]!);
    from = index + 1;
  }
  return matched;
}

describe('voicebridge demo', () => {
  it('runs a whole simulated call on its own, prints its log in order, and says plainly that nothing real was called', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-test-'));
    const result = await runCli(['demo'], { cwd: folder, timeoutMs: 20_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toContain('voicebridge demo');
    expect(lines[0]).toContain('simulated: nothing real is called');
    expect(result.stdout).toContain('OpenAI   simulated');
    expect(result.stdout).toContain('Twilio   simulated');

    const turns = DEFAULT_DEMO_SCRIPT.flatMap((line) => [`Customer said: ${line}`, `→ Assistant: ${line}`, `← Assistant: You said: ${line.replace(/[.!?]+$/, '')}.`]);
    const [incoming] = expectInOrder(lines, ['Incoming call from', 'Connected to OpenAI Realtime', /heard greeting-1 .*"Hello! Thanks for calling/, ...turns, 'Call ended (caller hung up)']);
    const callSid = /\[(CA[0-9a-f]{32})\]/.exec(incoming!)?.[1];
    expect(callSid).toBeDefined();
    expect(lines.filter((line) => line.includes('Customer said:'))).toEqual(DEFAULT_DEMO_SCRIPT.map((line) => expect.stringContaining(`[${callSid}] Customer said: ${line}`)));
    expect(result.stdout).toMatch(new RegExp(`\\[${callSid}\\] Created session: \\S+`));
    expect(lines.filter((line) => line.trim() !== '').at(-2)).toBe(NOTHING_REAL_WAS_CALLED);
    expect(result.stdout).not.toContain('sk-proj-');
    // Run from a folder of its own (as with npx), the way to real calls copies a file that exists: the package's own.
    const copy = /For real calls: cp (\S+) \.env/.exec(lines.filter((line) => line.trim() !== '').at(-1)!)?.[1];
    expect(copy).toBe(resolve(import.meta.dirname, '../../.env.example'));
    expect(existsSync(copy!)).toBe(true);
  });

  it('says the lines of --script FILE, one per turn', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-test-'));
    await writeFile(join(folder, 'caller.txt'), '# my caller\nDo you have oat milk?\n\nHow much is a latte?\n');
    const result = await runCli(['demo', '--script', 'caller.txt'], { cwd: folder, timeoutMs: 20_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Caller   2 lines (caller.txt)');
    const said = result.stdout.split('\n').filter((line) => line.includes('Customer said:'));
    expect(said.map((line) => line.replace(/^.*Customer said: /, ''))).toEqual(['Do you have oat milk?', 'How much is a latte?']);
    expect(result.stdout).toContain(NOTHING_REAL_WAS_CALLED);
  });

  it('takes a line as long as the demo allows, and the simulated agent reads all of it back in time', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-test-'));
    const longest = 'Could you tell me about the menu? '.repeat(20).slice(0, MAX_DEMO_LINE_CHARACTERS).trim();
    await writeFile(join(folder, 'long.txt'), `${longest}\n`);
    const result = await runCli(['demo', '--script', 'long.txt'], { cwd: folder, timeoutMs: 30_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`Customer said: ${longest}\n`);
    expect(result.stdout).toContain('Demo finished: 1 turn,');
  });

  it('refuses a line longer than that before starting, saying which line and what to do', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-test-'));
    await writeFile(join(folder, 'long.txt'), `# a caller who never stops\nHello?\n${'word '.repeat(3000)}\n`);
    const result = await runCli(['demo', '--script', 'long.txt'], { cwd: folder });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'voicebridge demo: line 3 of the script long.txt is 14999 characters long; the demo takes at most 500 per line. ' +
        'Split it into several lines: each line is one thing the caller says, e.g. "Are you open on Saturday?".\n',
    );
  });

  it('says what to do when --port is taken, in the demo\'s own terms (no .env, no --skip-checks)', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-test-'));
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const result = await runCli(['demo', '--port', String(port)], { cwd: folder });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(`^voicebridge demo: port ${port} is in use by another program\\. Stop that program, give the demo another port \\(e\\.g\\. --port \\d+\\), or leave --port out: the demo then picks a free port itself\\.\\n$`),
      );
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('speaks any UTF-8 line (accents, emoji, CJK, right-to-left) in simulated speech, and shows it intact from the transcript to what the caller hears', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-test-'));
    const script = ['Café crème, s’il vous plaît 🙂', '你好，我想订一张桌子', 'שלום, מה שלומך?', 'Ünïcödé — 👍🏽 🇫🇷 ok'];
    await writeFile(join(folder, 'caller.txt'), script.join('\n') + '\n');
    const result = await runCli(['demo', '--script', 'caller.txt'], { cwd: folder, timeoutMs: 30_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expectInOrder(
      lines,
      script.flatMap((line) => {
        const said = line.replace(/[.!?]+$/, '');
        return [`caller says: "${line}" (simulated speech)`, `Customer said: ${line}`, `← Assistant: You said: ${said}.`, `): "You said: ${said}."`];
      }),
    );
    expect(result.stdout).not.toContain('\uFFFD');
    expect(result.stdout).not.toMatch(/You said: [^\n]*\?\?/);
  }, 40_000);

  it('refuses a script with no lines as a usage error', async () => {
    folder = await mkdtemp(join(tmpdir(), 'voicebridge-demo-test-'));
    await writeFile(join(folder, 'empty.txt'), '# nothing to say\n\n');
    const result = await runCli(['demo', '--script', 'empty.txt'], { cwd: folder });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the script empty.txt has no lines. Write one line per thing the caller says');
  });
});
