// The doctor's fix for an ID that cannot answer, run in this process: it provisions the agent itself and words its
// outcome from what provisioning returned, never from what create-assistant prints. Shown to people or not, and
// whatever the display does with the run, the outcome is the same.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { FixContext, ProvisionDisplay } from '../../src/doctor/check.js';
import { createAssistantFix } from '../../src/doctor/fixes/assistant-id-fixes.js';
import type { ProvisionResult, ProvisionStep } from '../../src/provision/provision-result.js';
import { fixedClock } from '../../src/util/clock.js';
import { FAKE_OPENAI_KEY, FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai/fake-openai.js';
import { makeProject, TODAY, type Project } from '../create-assistant/project.js';

const WORKFLOW_ID = 'wf_68f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2';
const WHY = 'AGENT_WORKFLOW_ID is an Agent Builder workflow, which can never answer a caller';

let fake: FakeOpenAI | undefined;
let project: Project | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await fake?.close();
  await project?.remove();
  fake = undefined;
  project = undefined;
});

/** A project whose .env names a workflow under the old variable name, and the fix the doctor offers for it. */
async function setUp(options: FakeOpenAIOptions = {}) {
  fake = await FakeOpenAI.start(options);
  const before = `OPENAI_API_KEY=${FAKE_OPENAI_KEY}\nOPENAI_BASE_URL=${fake.baseURL}\nAGENT_WORKFLOW_ID=${WORKFLOW_ID}\n`;
  project = await makeProject(before);
  const config = loadConfig({ envFile: project.envPath, env: {} });
  return { before, fix: createAssistantFix(config, WHY) };
}

const clock = fixedClock(`${TODAY}T12:00:00Z`);

/** Everything written to the terminal while `work` runs. */
async function printedDuring<T>(work: () => Promise<T>): Promise<{ value: T; printed: string }> {
  const chunks: string[] = [];
  const keep = (chunk: string | Uint8Array): boolean => {
    chunks.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    return { value: await work(), printed: chunks.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

/** A display that prints nothing and keeps what it was given. */
function recordingDisplay(): { display: ProvisionDisplay; began: string[]; steps: ProvisionStep[]; results: ProvisionResult[] } {
  const began: string[] = [];
  const steps: ProvisionStep[] = [];
  const results: ProvisionResult[] = [];
  return {
    began,
    steps,
    results,
    display: {
      begin: (envPath) => {
        began.push(envPath);
        return { secrets: () => undefined, step: (step) => steps.push(step), wait: (_text, work) => work() };
      },
      end: (result) => results.push(result),
    },
  };
}

describe('doctor --fix creates the agent from the typed provisioning result', () => {
  it('without a display (--json), names the new agent and the .env change, printing nothing at all', async () => {
    const { fix } = await setUp();
    const context: FixContext = { clock };
    const { value: outcome, printed } = await printedDuring(() => fix.apply(context));

    const [agent] = [...fake!.agents.values()];
    expect(agent).toMatchObject({ name: 'Phone agent', model: 'gpt-6-luna' });
    expect(outcome.applied).toBe(true);
    expect(outcome.message).toBe(`created ${agent!.id} and wrote ASSISTANT_ID=${agent!.id} into ${project!.envPath}`);
    expect(outcome.lines).toEqual([
      project!.envPath,
      'line 3:',
      `- AGENT_WORKFLOW_ID=${WORKFLOW_ID}`,
      `+ # ${TODAY} voicebridge create-assistant replaced this line by ASSISTANT_ID: an Agent Builder workflow ID (${WORKFLOW_ID}), not an assistant: calls would connect and then stay silent.`,
      `+ # AGENT_WORKFLOW_ID=${WORKFLOW_ID}`,
      `+ ASSISTANT_ID=${agent!.id}`,
    ]);
    expect(printed).toBe('');
    expect(await project!.readEnv()).toContain(`\nASSISTANT_ID=${agent!.id}\n`);
  });

  it('with a display, hands it the steps and the result, and its outcome does not depend on what the display prints', async () => {
    const { fix } = await setUp();
    const recorded = recordingDisplay();
    const { value: outcome, printed } = await printedDuring(() => fix.apply({ clock, showProvisioning: recorded.display }));

    const [agent] = [...fake!.agents.values()];
    expect(recorded.began).toEqual([project!.envPath]);
    expect(recorded.steps.map((step) => step.kind)).toEqual(['replacing', 'plan', 'created']);
    expect(recorded.results).toHaveLength(1);
    expect(recorded.results[0]).toMatchObject({ kind: 'created', provisioned: { backend: 'agents', object: { id: agent!.id } } });
    expect(outcome).toEqual({ applied: true, message: `create-assistant created the agent and wrote its ID into ${project!.envPath}` });
    expect(printed).toBe('');
  });

  it('says why nothing was created when OpenAI rejects the key, with the key masked, and leaves .env alone', async () => {
    const { before, fix } = await setUp({ keys: {} });
    const outcome = await fix.apply({ clock });

    expect(outcome.applied).toBe(false);
    expect(outcome.message).toMatch(/^create-assistant failed: OpenAI rejected the API key sk-proj-…WXYZ \(401 invalid_api_key\): .+\. Copy a current key from https:\/\/platform\.openai\.com\/api-keys/);
    expect(outcome.message).not.toContain(FAKE_OPENAI_KEY);
    expect(outcome.lines).toBeUndefined();
    expect(fake!.agents.size).toBe(0);
    expect(await project!.readEnv()).toBe(before);
  });
});
