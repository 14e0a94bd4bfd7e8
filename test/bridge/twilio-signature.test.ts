import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { publicUrlsFrom } from '../../src/transports/twilio-media-streams/public-urls.js';
import { createTwilioSignatureVerifier } from '../../src/transports/twilio-media-streams/twilio-signature.js';

const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
const urls = publicUrlsFrom('https://voice.example.test');
const params = { CallSid: 'CA0123456789abcdef0123456789abcdef', From: '+14155550123', To: '+14155550100' };

describe('Twilio request signatures', () => {
  it('derives the webhook and stream URLs from WEBHOOK_URL alone', () => {
    expect(urls.incomingCall).toBe('https://voice.example.test/incoming-call');
    expect(urls.mediaStream).toBe('wss://voice.example.test/media-stream');
    const behindPath = publicUrlsFrom(' https://example.test/voice/ ');
    expect(behindPath.incomingCall).toBe('https://example.test/voice/incoming-call');
    expect(behindPath.mediaStream).toBe('wss://example.test/voice/media-stream');
    expect(() => publicUrlsFrom(undefined)).toThrow(/WEBHOOK_URL is not set/);
    expect(() => publicUrlsFrom('not a url')).toThrow(/not a URL/);
  });

  it('accepts a webhook signed by Twilio for the public URL', async () => {
    const verifier = await createTwilioSignatureVerifier(AUTH_TOKEN, urls);
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://voice.example.test/incoming-call', params);
    expect(verifier.verifyWebhook(signature, '', params)).toBe(true);
  });

  it('includes the query string Twilio called in what is signed', async () => {
    const verifier = await createTwilioSignatureVerifier(AUTH_TOKEN, urls);
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://voice.example.test/incoming-call?line=sales', params);
    expect(verifier.verifyWebhook(signature, '?line=sales', params)).toBe(true);
    expect(verifier.verifyWebhook(signature, '', params)).toBe(false);
  });

  it('accepts a voice URL entered with a trailing slash only when signed as Twilio called it', async () => {
    const verifier = await createTwilioSignatureVerifier(AUTH_TOKEN, urls);
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://voice.example.test/incoming-call/', params);
    expect(verifier.verifyWebhook(signature, '/', params)).toBe(true);
    expect(verifier.verifyWebhook(signature, '', params)).toBe(false);
  });

  it('accepts a webhook signed with the default port written out', async () => {
    const verifier = await createTwilioSignatureVerifier(AUTH_TOKEN, urls);
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://voice.example.test:443/incoming-call', params);
    expect(verifier.verifyWebhook(signature, '', params)).toBe(true);
  });

  it('refuses a webhook that is unsigned, signed with another token, tampered with, or signed for the local host', async () => {
    const verifier = await createTwilioSignatureVerifier(AUTH_TOKEN, urls);
    const good = twilio.getExpectedTwilioSignature(AUTH_TOKEN, urls.incomingCall, params);
    expect(verifier.verifyWebhook(undefined, '', params)).toBe(false);
    expect(verifier.verifyWebhook('', '', params)).toBe(false);
    expect(verifier.verifyWebhook(twilio.getExpectedTwilioSignature('ffffffffffffffffffffffffffffffff', urls.incomingCall, params), '', params)).toBe(false);
    expect(verifier.verifyWebhook(good, '', { ...params, From: '+10000000000' })).toBe(false);
    // What a server trusting its Host header would check: never valid.
    const forHost = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'http://127.0.0.1:5000/incoming-call', params);
    expect(verifier.verifyWebhook(forHost, '', params)).toBe(false);
  });

  it('accepts a stream upgrade signed for the wss:// URL, not the https:// one', async () => {
    const verifier = await createTwilioSignatureVerifier(AUTH_TOKEN, urls);
    expect(verifier.verifyStreamUpgrade(twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'wss://voice.example.test/media-stream', {}))).toBe(true);
    expect(verifier.verifyStreamUpgrade(twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://voice.example.test/media-stream', {}))).toBe(false);
    expect(verifier.verifyStreamUpgrade(undefined)).toBe(false);
  });

  it('accepts a stream upgrade signed with the wss:// default port written out, and no other port', async () => {
    const verifier = await createTwilioSignatureVerifier(AUTH_TOKEN, urls);
    expect(verifier.verifyStreamUpgrade(twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'wss://voice.example.test:443/media-stream', {}))).toBe(true);
    expect(verifier.verifyStreamUpgrade(twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'wss://voice.example.test:8443/media-stream', {}))).toBe(false);
    const withPort = await createTwilioSignatureVerifier(AUTH_TOKEN, publicUrlsFrom('https://voice.example.test:8443'));
    expect(withPort.verifyStreamUpgrade(twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'wss://voice.example.test:8443/media-stream', {}))).toBe(true);
  });
});
