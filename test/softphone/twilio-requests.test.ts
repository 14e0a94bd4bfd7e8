// The softphone's side of Twilio's request rules: signatures the bridge's verifier accepts, and TwiML read the way
// Twilio acts on it.
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { publicUrlsFrom } from '../../src/transports/twilio-media-streams/public-urls.js';
import { connectStreamTwiml } from '../../src/transports/twilio-media-streams/twiml.js';
import { mapToServer } from '../../src/softphone/place-call.js';
import { readStreamTwiml, StreamTwimlError } from '../../src/softphone/stream-twiml.js';
import { signTwilioRequest } from '../../src/softphone/twilio-request-signer.js';

const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';

describe('request signatures', () => {
  it('signs a webhook exactly as Twilio does, so twilio.validateRequest accepts it', () => {
    const url = 'https://voice.example.test/incoming-call?tenant=a';
    const params = { CallSid: 'CA0123456789abcdef0123456789abcdef', From: '+14155550123', To: '+14155550100', Caller: '+14155550123' };
    const signature = signTwilioRequest(AUTH_TOKEN, url, params);
    expect(signature).toBe(twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params));
    expect(twilio.validateRequest(AUTH_TOKEN, signature, url, params)).toBe(true);
    expect(twilio.validateRequest('fedcba9876543210fedcba9876543210', signature, url, params)).toBe(false);
  });

  it('signs the media stream over the wss:// URL with no parameters', () => {
    const url = 'wss://voice.example.test/media-stream';
    expect(twilio.validateRequest(AUTH_TOKEN, signTwilioRequest(AUTH_TOKEN, url), url, {})).toBe(true);
  });
});

describe('reading the TwiML', () => {
  it('finds the bridge\'s own <Connect><Stream> and its token parameter', async () => {
    const twiml = await connectStreamTwiml(publicUrlsFrom('https://voice.example.test'), 'token & <value>');
    expect(readStreamTwiml(twiml)).toEqual({ url: 'wss://voice.example.test/media-stream', parameters: { token: 'token & <value>' } });
  });

  it('reads parameter values written with any XML escape, decimal and hexadecimal character references included', () => {
    const twiml = `<?xml version="1.0"?><Response><Connect><Stream url='wss://a.test/media-stream'><Parameter name="token" value="a&amp;b&#x27;c&#39;d&quot;&#X3c;"/></Stream></Connect></Response>`;
    expect(readStreamTwiml(twiml).parameters).toEqual({ token: 'a&b\'c\'d"<' });
  });

  it('refuses a one-way <Start><Stream>: the caller would hear nothing', () => {
    expect(() => readStreamTwiml('<Response><Start><Stream url="wss://a.test/s"/></Start><Pause length="60"/></Response>')).toThrow(
      'the TwiML starts a one-way stream (<Start><Stream>)',
    );
  });

  it('refuses TwiML without a stream, quoting it', () => {
    expect(() => readStreamTwiml('<Response><Say>Goodbye</Say><Hangup/></Response>')).toThrow(StreamTwimlError);
    expect(() => readStreamTwiml('<Response><Say>Goodbye</Say><Hangup/></Response>')).toThrow('<Say>Goodbye</Say>');
  });

  it('refuses what Twilio refuses: a ws:// URL or a query string (31920)', () => {
    expect(() => readStreamTwiml('<Response><Connect><Stream url="ws://a.test/s"/></Connect></Response>')).toThrow('31920');
    expect(() => readStreamTwiml('<Response><Connect><Stream url="wss://a.test/s?token=1"/></Connect></Response>')).toThrow('query string');
  });
});

describe('mapping public addresses to the local server', () => {
  it('keeps the path and query, and takes the scheme from the server', () => {
    expect(mapToServer('https://abc.ngrok.app/voice/incoming-call?x=1', 'http://localhost:5000', 'http')).toBe('http://localhost:5000/voice/incoming-call?x=1');
    expect(mapToServer('wss://abc.ngrok.app/media-stream', 'http://127.0.0.1:5123', 'ws')).toBe('ws://127.0.0.1:5123/media-stream');
    expect(mapToServer('wss://abc.ngrok.app/media-stream', 'https://abc.ngrok.app', 'ws')).toBe('wss://abc.ngrok.app/media-stream');
  });
});
