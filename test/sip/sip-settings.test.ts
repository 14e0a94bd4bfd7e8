// What SIP mode reads from outside: the caller from the INVITE's untrusted headers, and the webhook secret and project
// ID the user pasted.
import { describe, expect, it } from 'vitest';
import { projectIdProblem, webhookSecretProblem } from '../../src/knowledge/openai-ids.js';
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

describe('the SIP settings', () => {
  it('takes a whsec_ secret and a proj_ ID', () => {
    expect(webhookSecretProblem('whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0')).toBeUndefined();
    expect(projectIdProblem(' "proj_abc123DEF456" ')).toBeUndefined();
  });

  it('says what is wrong with anything else, without echoing a secret', () => {
    expect(webhookSecretProblem(undefined)).toMatch(/^OPENAI_WEBHOOK_SECRET is not set/);
    expect(webhookSecretProblem('sk-proj-abcdef')).toBe(
      "OPENAI_WEBHOOK_SECRET does not start with whsec_: copy the webhook's signing secret from the OpenAI dashboard (Webhooks), not an API key or project ID",
    );
    expect(webhookSecretProblem('whsec_!!!')).toBe('OPENAI_WEBHOOK_SECRET is whsec_ followed by something that is not a base64 key: copy the whole secret again');
    expect(projectIdProblem('org-123')).toBe('OPENAI_PROJECT_ID=org-123 is not a project ID: it starts with proj_ (from the OpenAI dashboard, Settings → Project)');
    expect(projectIdProblem('')).toMatch(/^OPENAI_PROJECT_ID is not set/);
  });
});
