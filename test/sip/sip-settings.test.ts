// What SIP mode reads from outside: the caller from the INVITE's untrusted headers, and the webhook secret and project
// ID the user pasted.
import { describe, expect, it } from 'vitest';
import { sipSettingProblems } from '../../src/cli/serve-start-up-checks.js';
import { configFor } from '../agents/brain-harness.js';
import { callerFromSipHeaders } from '../../src/transports/openai-sip/sip-transport.js';

describe('the caller from the SIP headers', () => {
  it('keeps the number of each address, and Twilio’s CallSid when it is one', () => {
    expect(
      callerFromSipHeaders([
        { name: 'From', value: '"Ann" <sip:+14155550123@trunk.pstn.twilio.com;user=phone>;tag=9f2' },
        { name: 'to', value: '<sips:+14155550100@sip.api.openai.com>' },
        { name: 'X-Twilio-CallSid', value: 'CA0123456789abcdef0123456789abcdef' },
      ]),
    ).toEqual({ from: '+14155550123', to: '+14155550100', callSid: 'CA0123456789abcdef0123456789abcdef' });
    expect(callerFromSipHeaders([{ name: 'x-twilio-callsid', value: 'CA0123456789ABCDEF0123456789ABCDEF' }])).toEqual({ callSid: 'CA0123456789ABCDEF0123456789ABCDEF' });
  });

  it('drops what an address or CallSid may not hold, and what is missing', () => {
    expect(
      callerFromSipHeaders([
        { name: 'From', value: '<sip:+1415\u001b[31m555@evil>' },
        { name: 'X-Twilio-CallSid', value: 'CA-not-a-sid' },
      ]),
    ).toEqual({ from: '+141531m555' });
    expect(callerFromSipHeaders([{ name: 'From', value: 'anonymous' }])).toEqual({});
  });
});

describe('the SIP settings serve starts with', () => {
  it('takes a whsec_ secret and a proj_ ID, and says what is wrong with anything else without echoing it', () => {
    expect(sipSettingProblems(configFor({ TRANSPORT: 'sip', OPENAI_WEBHOOK_SECRET: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', OPENAI_PROJECT_ID: 'proj_abc123DEF456' }))).toEqual([]);
    expect(sipSettingProblems(configFor({ TRANSPORT: 'sip', OPENAI_WEBHOOK_SECRET: 'sk-proj-abcdef', OPENAI_PROJECT_ID: 'org-123' }))).toEqual([
      'OPENAI_WEBHOOK_SECRET is an API key, not a webhook signing secret (whsec_…)',
      'OPENAI_PROJECT_ID is an organization ID (org-…), not a project ID (proj_…)',
    ]);
    expect(sipSettingProblems(configFor({ TRANSPORT: 'sip' }))).toEqual([
      'OPENAI_WEBHOOK_SECRET is not set: SIP mode verifies every OpenAI webhook with it (the whsec_… signing secret shown when the webhook was created; npx voicebridge setup-sip creates the webhook and writes it into .env)',
      'OPENAI_PROJECT_ID is not set: the SIP trunk sends calls to sip:<project id>@sip.api.openai.com (the proj_… ID from Settings > Project > General)',
    ]);
    // Media Streams reads neither.
    expect(sipSettingProblems(configFor({}))).toEqual([]);
  });
});
