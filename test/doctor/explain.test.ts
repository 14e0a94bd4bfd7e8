import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { explainText, renderExplanation } from '../../src/knowledge/explain.js';
import { classifyAssistantId } from '../../src/knowledge/openai-ids.js';
import { runCli } from '../helpers/run-cli.js';
import { leaksSecret } from './openai-check-context.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const SEED_ERROR = "400 Invalid 'assistant_id': 'wf_68f1c2d3e4b5a69788a1b2c3d4e5f601'. Expected an ID that begins with 'asst'.";

describe('doctor --explain', () => {
  it("recognises the seed's 400 as a workflow ID used as an assistant ID", () => {
    const explanation = explainText(SEED_ERROR, NOW);
    expect(explanation.matched).toBe(true);
    expect(explanation.title).toBe('A workflow ID was used as an assistant ID');
    expect(explanation.cause).toContain('stay silent');
    expect(explanation.cause).toContain('Agent Builder shuts down on 2026-11-30');
    expect(explanation.fix).toContain('voicebridge create-assistant');
  });

  it('words every dated sentence from the day it is asked on: future before the date, past from it on', () => {
    const before = explainText('wf_68f1c2d3e4b5a69788a1b2c3d4e5f601', new Date('2026-11-24T12:00:00Z'));
    expect(before.cause).toContain('Agent Builder shuts down on 2026-11-30 (in 6 days).');
    const after = explainText('wf_68f1c2d3e4b5a69788a1b2c3d4e5f601', new Date('2026-12-01T12:00:00Z'));
    expect(after.cause).toContain('Agent Builder shut down on 2026-11-30.');
    expect(`${after.title} ${after.cause} ${after.fix}`).not.toMatch(/shuts down|will be/);
    expect(explainText('pmpt_68ab12cd34ef56', new Date('2026-12-01T12:00:00Z')).cause).toContain('Prompt objects were shut down on 2026-11-30');
    expect(explainText('pmpt_68ab12cd34ef56', new Date('2026-11-29T00:00:00Z')).cause).toContain('Prompt objects shut down on 2026-11-30 (in 1 day)');
    // The description of a wrong ID in an Assistants API error is dated too.
    const pasted = "400 Invalid 'assistant_id': 'thread_abc123'. Expected an ID that begins with 'asst'.";
    expect(explainText(pasted, new Date('2026-12-01T12:00:00Z')).cause).not.toMatch(/shuts down|will be/);
    expect(classifyAssistantId('wf_abc123', new Date('2026-12-01T00:00:00Z')).description).toBe(
      'an Agent Builder workflow ID: workflows can never be used as an assistant (Agent Builder shut down on 2026-11-30)',
    );
    expect(classifyAssistantId('wf_abc123', new Date('2026-11-20T00:00:00Z')).description).toBe(
      'an Agent Builder workflow ID: workflows can never be used as an assistant (Agent Builder shuts down on 2026-11-30 (in 10 days))',
    );
    expect(classifyAssistantId('asst_abc123def456', new Date('2026-08-01T00:00:00Z')).description).toBe(
      'an Assistants API assistant (the Assistants API will be sunset by OpenAI on 2026-08-26 (in 25 days))',
    );
    expect(classifyAssistantId('asst_abc123def456', new Date('2026-12-01T00:00:00Z')).description).toBe(
      'an Assistants API assistant (the Assistants API was sunset by OpenAI on 2026-08-26)',
    );
  });

  it('says the 400 it quotes for a workflow ID is what OpenAI answers, not something it just received', () => {
    const explanation = explainText('wf_68f1c2d3e4b5a69788a1b2c3d4e5f601', NOW);
    expect(explanation.cause).toContain(
      "Used as an assistant, it gets this answer from OpenAI (known from the ID itself; OpenAI was not asked): 400 Invalid 'assistant_id': 'wf_68f1c2d3e4b5a69788a1b2c3d4e5f601'.",
    );
    expect(explanation.cause).not.toContain('OpenAI refuses it');
  });

  it('recognises the same error inside an OpenAI JSON error body', () => {
    const body = JSON.stringify({
      error: { message: "Invalid 'assistant_id': 'wf_abc'. Expected an ID that begins with 'asst'.", type: 'invalid_request_error', param: 'assistant_id', code: 'invalid_value' },
    });
    expect(explainText(body, NOW).title).toBe('A workflow ID was used as an assistant ID');
  });

  it.each([
    ['wf_68f1c2d3e4b5a69788a1b2c3d4e5f601', 'id.workflow', 'Agent Builder workflow'],
    ['asst_abc123def456', 'id.assistant', 'Assistants API'],
    ['pmpt_68ab12cd34ef56', 'id.prompt', 'prompt object'],
    ['thread_abc123', 'id.thread', 'thread'],
    ['run_abc123', 'id.run', 'run'],
    ['conv_abc123', 'id.conversation', 'Conversations API'],
    ['resp_abc123', 'id.response', 'Responses API'],
    ['sess_abc123', 'id.realtime-session', 'Realtime session'],
    ['agent_0123456789abcdef', 'id.agent', 'Agents API agent'],
    ['asst_your_assistant_id_here', 'id.placeholder', 'placeholder'],
  ])('explains the bare ID %s', (id, topic, words) => {
    const explanation = explainText(`  ${id}  `, NOW);
    expect(explanation.matched).toBe(true);
    expect(explanation.topic).toBe(topic);
    expect(`${explanation.title} ${explanation.cause}`).toContain(words);
    expect(explanation.fix).not.toBe('');
  });

  it('explains a line pasted from .env by its value', () => {
    const explanation = explainText('AGENT_WORKFLOW_ID=wf_68f1c2d3e4b5a69788a1b2c3d4e5f601', NOW);
    expect(explanation.topic).toBe('id.workflow');
    expect(explanation.fix).toContain('voicebridge create-assistant');
  });

  it('says where an OpenAI key belongs without ever echoing it', () => {
    const key = 'sk-proj-Vb3Nq8Wz1Ls6Pd4Hx9Mc2Tf7Gj5Ya0Rk';
    const explanation = explainText(key, NOW);
    expect(explanation.matched).toBe(true);
    expect(explanation.title).toBe('An OpenAI API key (sk-proj-…a0Rk)');
    expect(explanation.input).toBe('sk-proj-…a0Rk');
    expect(leaksSecret(JSON.stringify(explanation), key)).toBe(false);
  });

  it('says an admin key cannot call the model APIs', () => {
    const explanation = explainText('sk-admin-Hx9Mc2Tf7Gj5Ya0RkVb3Nq8Wz1Ls6Pd4', NOW);
    expect(explanation.cause).toContain('cannot call the model APIs');
  });

  it('masks a key inside a pasted message too', () => {
    const key = 'sk-proj-Pd4Hx9Mc2Tf7Gj5Ya0RkVb3Nq8Wz1Ls6';
    const explanation = explainText(`curl said 401 for key ${key}: Incorrect API key provided`, NOW);
    expect(explanation.topic).toBe('openai.invalid_api_key');
    expect(leaksSecret(JSON.stringify(explanation), key)).toBe(false);
  });

  it('explains a 401 invalid_api_key', () => {
    const explanation = explainText(
      '401 Incorrect API key provided: sk-proj-******WXYZ. You can find your API key at https://platform.openai.com/account/api-keys.',
      NOW,
    );
    expect(explanation.title).toContain('invalid_api_key');
    expect(explanation.fix).toContain('https://platform.openai.com/api-keys');
  });

  it('tells insufficient_quota (billing) from rate_limit_exceeded (wait)', () => {
    const quota = explainText('429 You exceeded your current quota, please check your plan and billing details.', NOW);
    const rate = explainText('429 Rate limit reached for requests in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1.', NOW);
    expect(quota.topic).toBe('openai.insufficient_quota');
    expect(quota.cause).toContain('Retrying will not help');
    expect(rate.topic).toBe('openai.rate_limit_exceeded');
    expect(rate.fix).toContain('Wait');
  });

  it('explains model_not_found and names the successor of a retiring model', () => {
    const explanation = explainText("404 The model 'gpt-realtime-mini' does not exist or you do not have access to it.", NOW);
    expect(explanation.topic).toBe('openai.model_not_found');
    expect(explanation.fix).toContain('gpt-realtime-2.1-mini');
  });

  it('explains beta_api_shape_disabled as the OpenAI-Beta header on a GA Realtime connection', () => {
    const explanation = explainText('{"type":"error","error":{"type":"invalid_request_error","code":"beta_api_shape_disabled"}}', NOW);
    expect(explanation.title).toContain('beta header');
    expect(explanation.fix).toContain('OpenAI-Beta');
  });

  it('explains the Assistants API sunset from its 404', () => {
    const explanation = explainText('404 Invalid URL (GET /v1/assistants/asst_abc123)', NOW);
    expect(explanation.topic).toBe('openai.assistants_api_gone');
    expect(explanation.cause).toContain('2026-08-26');
    expect(explanation.fix).toContain('--api agents');
  });

  it.each([
    ['11200', 'retrieval'],
    ['11205', 'connection'],
    ['12100', 'parse'],
    ['20003', 'authentication'],
    ['21211', "'To'"],
    ['31920', 'handshake'],
    ['31921', 'closed'],
    ['31924', 'protocol'],
    ['31930', 'congestion'],
    ['31950', 'decoded'],
    ['31951', 'invalid'],
  ])('explains Twilio error %s', (code, words) => {
    const explanation = explainText(`Error - ${code}`, NOW);
    expect(explanation.matched).toBe(true);
    expect(explanation.topic).toBe(`twilio.${code}`);
    expect(explanation.title.toLowerCase()).toContain(words.toLowerCase());
    expect(explanation.docs).toBe(`https://www.twilio.com/docs/api/errors/${code}`);
  });

  it('explains a bare Twilio code and a Twilio Account SID', () => {
    expect(explainText('31920', NOW).topic).toBe('twilio.31920');
    const sid = explainText('AC0123456789abcdef0123456789abcdef', NOW);
    expect(sid.title).toBe('A Twilio Account SID');
    expect(sid.fix).toContain('TWILIO_ACCOUNT_SID');
  });

  it('says a cut-short Twilio SID is not whole, and where to copy it from', () => {
    const sid = explainText('AC123', NOW);
    expect(sid.matched).toBe(true);
    expect(sid.title).toBe('Not a whole Twilio Account SID');
    expect(sid.cause).toContain('should be AC followed by 32 hex digits (found 5 characters)');
    expect(sid.fix).toContain('TWILIO_ACCOUNT_SID');
    expect(explainText('SK12ab', NOW).title).toBe('Not a whole Twilio API key SID');
  });

  it('explains twilio-node\'s bare "Authenticate" as Twilio error 20003', () => {
    const explanation = explainText('RestException [Error]: Authenticate', NOW);
    expect(explanation.topic).toBe('twilio.20003');
    expect(explanation.fix).toContain('Auth Token');
  });

  it('tells a phone number in E.164 form from one that is not, with how to write it', () => {
    const good = explainText('+14155550123', NOW);
    expect(good.title).toBe('A phone number in E.164 form');
    expect(good.fix).toContain('TWILIO_PHONE_NUMBER');
    const local = explainText('TWILIO_PHONE_NUMBER=(415) 555-0123', NOW);
    expect(local.title).toBe('A phone number not in E.164 form');
    expect(local.cause).toContain('E.164 looks like +14155550123');
    expect(explainText('+1 415 555 0123', NOW).cause).toContain('write it as +14155550123');
    // A date or a short code is not taken for a number.
    expect(explainText('2026-11-24', NOW).matched).toBe(false);
    expect(explainText('1234567', NOW).matched).toBe(false);
  });

  it('explains a bare 403 for both services', () => {
    const explanation = explainText('403 Forbidden', NOW);
    expect(explanation.title).toBe('403 Forbidden: the credentials were recognised but not allowed');
    expect(explanation.cause).toContain('From OpenAI');
    expect(explanation.cause).toContain('From Twilio');
  });

  it('explains a bare 401 for both services', () => {
    const explanation = explainText('401', NOW);
    expect(explanation.cause).toContain('OPENAI_API_KEY');
    expect(explanation.cause).toContain('TWILIO_AUTH_TOKEN');
  });

  it('says plainly when it does not recognise the text, pointing at the docs of an unknown code', () => {
    const unknown = explainText('the printer is on fire', NOW);
    expect(unknown.matched).toBe(false);
    expect(unknown.title).toBe('Not recognised');
    expect(unknown.fix).toContain('voicebridge doctor');
    expect(explainText('error 99999 happened', NOW).fix).toContain('https://www.twilio.com/docs/api/errors/99999');
    expect(explainText('hello', NOW).matched).toBe(false);
  });

  it('renders the title, cause, fix and docs for people', () => {
    const text = renderExplanation(explainText('31951', NOW), new Chalk({ level: 0 }));
    expect(text.split('\n')[0]).toBe('Twilio 31951: invalid Media Stream message');
    expect(text).toContain('cause: ');
    expect(text).toContain('fix:   ');
    expect(text).toContain('docs:  https://www.twilio.com/docs/api/errors/31951');
  });
});

describe('doctor --explain from the command line', () => {
  it('prints the explanation and exits 0 when it recognises the text', async () => {
    const result = await runCli(['doctor', '--explain', SEED_ERROR], { env: { VOICEBRIDGE_TODAY: '2026-11-24' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('A workflow ID was used as an assistant ID');
    expect(result.stdout).toContain('(in 6 days)');
  });

  it('prints the Explanation object with --json', async () => {
    const result = await runCli(['doctor', '--explain', '31920', '--json']);
    expect(result.code).toBe(0);
    const explanation = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(explanation).toMatchObject({ matched: true, topic: 'twilio.31920', input: '31920' });
  });

  it('exits 1 when it does not recognise the text', async () => {
    const result = await runCli(['doctor', '--explain', 'the printer is on fire']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Not recognised');
  });

  it.each([[''], ['   ']])('takes --explain "%s" as the usage error it is: exit 2, saying what to give it', async (text) => {
    const result = await runCli(['doctor', '--explain', text]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('error: --explain needs the text to explain: an error message, a Twilio error code or an ID, e.g. npx voicebridge doctor --explain 31920\n');
  });
});
