import { describe, expect, it } from 'vitest';
import { openAISipUri, parseOpenAISipUri, projectIdProblem, sipWebhookEvent, webhookSecretProblem } from '../../src/knowledge/openai-sip.js';
import { secretMatchesHint } from '../../src/provision/sip/setup-sip.js';
import { maskSecret } from '../../src/util/mask-secret.js';

describe('OpenAI SIP facts', () => {
  it('builds the SIP address a trunk sends calls to, and reads one back', () => {
    expect(openAISipUri('proj_abc123DEF456')).toBe('sip:proj_abc123DEF456@sip.api.openai.com;transport=tls');
    expect(parseOpenAISipUri('sip:proj_abc123DEF456@sip.api.openai.com;transport=tls')).toEqual({ projectId: 'proj_abc123DEF456', host: 'sip.api.openai.com', tls: true });
    expect(parseOpenAISipUri('sip:proj_abc123DEF456@sip-eu.api.openai.com')).toEqual({ projectId: 'proj_abc123DEF456', host: 'sip-eu.api.openai.com', tls: false });
    expect(parseOpenAISipUri('sip:pbx@pbx.example.com;transport=tls')).toBeUndefined();
    expect(parseOpenAISipUri('https://sip.api.openai.com')).toBeUndefined();
  });

  it('names the event each engine is offered a call with', () => {
    expect(sipWebhookEvent('realtime')).toBe('realtime.call.incoming');
    expect(sipWebhookEvent('live')).toBe('live.transport.incoming');
  });

  it.each([
    ['proj_abc123DEF456', undefined],
    ['org-abc123', 'is an organization ID (org-…), not a project ID (proj_…)'],
    ['proj-abc123DEF456', 'starts with proj- but project IDs start with proj_ (an underscore)'],
    ['sk-proj-abcdef', 'is an API key, not a project ID: project IDs start with proj_ (Settings > Project > General)'],
    [' proj_abc123DEF456', 'has spaces around it'],
    ['"proj_abc123DEF456"', 'is wrapped in quotes that became part of the value'],
    ['proj_abc', 'should be proj_ followed by letters and digits only'],
  ])('judges %j as a project ID', (value, problem) => {
    expect(projectIdProblem(value)).toBe(problem);
  });

  it.each([
    ['whsec_c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g=', undefined],
    ['c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g=', 'lacks the whsec_ prefix: copy the whole secret, whsec_ included'],
    ['whsec_short', 'should be whsec_ followed by base64 (letters, digits, + and /): part of it seems to be missing or altered'],
    ['sk-proj-abcdef', 'is an API key, not a webhook signing secret (whsec_…)'],
    ['secret', 'should start with whsec_ (the signing secret shown once when the webhook endpoint is created)'],
  ])('judges %j as a webhook secret', (value, problem) => {
    expect(webhookSecretProblem(value)).toBe(problem);
  });

  it('masks a webhook secret to its prefix and last four characters', () => {
    expect(maskSecret('whsec_c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g=')).toBe('whsec_…Z2g=');
  });

  it('compares a secret with the endpoint\'s hint by the parts the hint shows', () => {
    const secret = 'whsec_c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g=';
    expect(secretMatchesHint(secret, 'whsec_…Z2g=')).toBe(true);
    expect(secretMatchesHint(secret, 'whsec_…abcd')).toBe(false);
    expect(secretMatchesHint(secret, 'whsec_c2Vj****Z2g=')).toBe(true);
    expect(secretMatchesHint(secret, 'whsec_XXXX****Z2g=')).toBe(false);
    expect(secretMatchesHint(secret, '…Z2g=')).toBe(true);
    expect(secretMatchesHint(secret, null)).toBe(true);
  });
});
