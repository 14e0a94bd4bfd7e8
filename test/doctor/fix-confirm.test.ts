// `doctor --fix` on a terminal: each change is asked about (y/N), only the ones answered y are made, and a closed
// input stops the questions without making anything more. Runs the command in this process with scripted answers,
// and the y/N question itself on a real readline over a stream.
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { askYesNo, type YesNoAnswer } from '../../src/cli/ask-yes-no.js';
import { runDoctorCommand } from '../../src/cli/commands/doctor.js';
import { captureOutput } from '../create-assistant/project.js';
import { FAKE_TWILIO_PHONE_NUMBER, TWILIO_DEMO_VOICE_URL } from '../fakes/twilio/fake-twilio-rest.js';
import { envText, healthyVars, makeProject, SECRETS, startWorld, TODAY, type FixWorld, type Project } from './fix-harness.js';
import { leaksSecret } from './openai-check-context.js';

let world: FixWorld;
let project: Project | undefined;
let before: string;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(async () => {
  // Two things to fix: stray spaces in ASSISTANT_ID (in .env) and the number's voice URL (on Twilio).
  Object.assign(world.twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!, { voiceUrl: TWILIO_DEMO_VOICE_URL, voiceMethod: 'POST' });
  const vars = await healthyVars(world);
  before = envText(vars.map(([key, value]) => (key === 'ASSISTANT_ID' ? `ASSISTANT_ID=" ${value} "` : ([key, value] as [string, string]))));
  project = await makeProject(before);
});
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

async function doctorWithAnswers(answers: YesNoAnswer[]): Promise<{ code: number; text: string; questions: string[] }> {
  const captured = captureOutput();
  const questions: string[] = [];
  const code = await runDoctorCommand(
    { fix: true, envFile: project!.envPath },
    {
      output: captured.output,
      env: { VOICEBRIDGE_TODAY: TODAY },
      confirm: async (question) => {
        questions.push(question);
        return answers.shift() ?? 'no';
      },
    },
  );
  return { code, text: captured.text(), questions };
}

describe('doctor --fix on a terminal', () => {
  it('makes only the changes answered y, then checks again', async () => {
    const result = await doctorWithAnswers(['yes', 'no']);
    expect(result.questions).toEqual(['   Make this change? [y/N] ', '   Make this change? [y/N] ']);
    const agentLine = before.split('\n').find((line) => line.startsWith('ASSISTANT_ID='))!;
    expect(await project!.readEnv()).toBe(before.replace(agentLine, agentLine.replace(/" (\S+) "/, '"$1"')));
    expect(world.twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    expect(result.text).toContain('left as it is');
    const after = result.text.slice(result.text.indexOf('After the change:'));
    expect(after).toContain('✓ Assistant ID:');
    expect(after).toContain(`✗ Phone number: ${FAKE_TWILIO_PHONE_NUMBER}: its voice URL does not point at this bridge`);
    expect(result.text).not.toContain('--yes');
    expect(result.code).toBe(1);
    for (const secret of SECRETS) expect(leaksSecret(result.text, secret)).toBe(false);
  });

  it('stops asking when the input closes, and makes nothing', async () => {
    const result = await doctorWithAnswers(['stop']);
    expect(result.questions).toHaveLength(1);
    expect(await project!.readEnv()).toBe(before);
    expect(world.twilio.numberFor(FAKE_TWILIO_PHONE_NUMBER)!.voiceUrl).toBe(TWILIO_DEMO_VOICE_URL);
    expect(result.text.match(/not made: the input was closed/g)).toHaveLength(2);
    expect(result.text).not.toContain('After the change');
    expect(result.text).toContain(`2 changes were not asked about. To make them without questions, run: npx voicebridge doctor --fix --yes --env ${project!.envPath}`);
    expect(result.code).toBe(1);
  });
});

describe('the y/N question', () => {
  async function answer(typed: string | null): Promise<{ answer: YesNoAnswer; shown: string }> {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const pending = askYesNo('Make this change? [y/N] ', input, output);
    if (typed === null) input.end();
    else input.write(typed);
    return { answer: await pending, shown };
  }

  it('takes y or yes as yes', async () => {
    expect((await answer('y\n')).answer).toBe('yes');
    expect((await answer('YES\n')).answer).toBe('yes');
  });

  it('takes anything else, Enter included, as no', async () => {
    expect((await answer('\n')).answer).toBe('no');
    expect((await answer('nope\n')).answer).toBe('no');
  });

  it('stops when the input closes instead of waiting', async () => {
    const result = await answer(null);
    expect(result.answer).toBe('stop');
    expect(result.shown).toContain('Make this change? [y/N] ');
  });
});
