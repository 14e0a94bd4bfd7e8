import { describe, expect, it } from 'vitest';
import { explainText } from '../../src/knowledge/explain.js';

const NOW = new Date('2026-11-24T12:00:00Z');

describe('doctor --explain, SIP-side errors', () => {
  it.each([
    ['404 Not Found: POST /v1/realtime/calls/rtc_68f1c2d3e4b5/accept', 'sip.accept_404'],
    ["404 {\"error\":{\"message\":\"Call 'rtc_abc123' not found.\"}}", 'sip.accept_404'],
    ['InvalidWebhookSignatureError: The given webhook signature does not match the expected signature', 'sip.webhook_signature'],
    ['Webhook timestamp is too old', 'sip.webhook_timestamp'],
    ['401 OpenAI-Project header should match project for API key', 'openai.mismatched_project'],
    ['SIP/2.0 603 Decline', 'sip.603'],
    ['404 Not Found: POST /v1/realtime/calls/rtc_68f1c2d3e4b5/hangup', 'sip.call_ended_404'],
    ["POST /v1/live/sessions/live_1/refer answered 404: Session 'live_1' not found", 'sip.call_ended_404'],
    ['Refused an OpenAI webhook: it carries no Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature)', 'sip.webhook_unsigned'],
    ['32010', 'twilio.32010'],
    ['proj_abc123DEF456', 'id.openai_project'],
    ['proj-abc123DEF456', 'id.openai_project.malformed'],
  ])('explains %j', (text, topic) => {
    const explanation = explainText(text, NOW);
    expect(explanation.matched).toBe(true);
    expect(explanation.topic).toBe(topic);
  });

  it('says why an accept answers 404 and that the first accept wins', () => {
    const explanation = explainText('404 Not Found: POST /v1/realtime/calls/rtc_68f1c2d3e4b5/accept', NOW);
    expect(explanation.title).toBe('404 on accepting a SIP call: the call is no longer waiting for an answer');
    expect(explanation.cause).toContain('already accepted (by another instance behind the same WEBHOOK_URL');
    expect(explanation.cause).toContain('The first accept wins');
  });

  it('tells a 404 on a hang-up or transfer (the call is over) from one on an accept', () => {
    expect(explainText('404 Not Found: POST /v1/realtime/calls/rtc_68f1c2d3e4b5/refer', NOW).title).toBe(
      '404 on hanging up or transferring a SIP call: the call has already ended',
    );
    expect(explainText('404 Not Found: POST /v1/live/sessions/live_68f1c2d3e4b5/accept', NOW).topic).toBe('sip.accept_404');
  });

  it('points a signature mismatch and a missing origination URL at setup-sip', () => {
    expect(explainText('The given webhook signature does not match the expected signature', NOW).fix).toContain('voicebridge setup-sip');
    expect(explainText('Twilio error 32010', NOW).fix).toContain('voicebridge setup-sip');
  });

  it('masks a pasted webhook secret', () => {
    const explanation = explainText('OPENAI_WEBHOOK_SECRET=whsec_c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g=', NOW);
    expect(explanation.topic).toBe('secret.openai_webhook');
    expect(explanation.title).toBe('An OpenAI webhook signing secret (whsec_…Z2g=)');
    expect(JSON.stringify(explanation)).not.toContain('c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g');
  });
});
