// Twilio's Elastic SIP Trunking API (trunking.twilio.com/v1) inside the fake Twilio REST: trunks, their origination
// URLs and their phone numbers. The twilio client reaches it through the same TWILIO_API_BASE_URL origin as the rest.
// Shapes follow twilio-node's TrunkResource, OriginationUrlResource and PhoneNumberResource; lists are Twilio's v1
// pages ({ <key>: [...], meta: { key, next_page_url, … } }) with absolute URLs on trunking.twilio.com, which the client
// sends back to the fake like every other request. The wording of the 400s is not captured from the real service; the
// status and code 20001 (invalid parameter) are what clients act on.
import type { ServerResponse } from 'node:http';
import { sendJson, type FakeRequest } from '../http-fake.js';
import type { Caller, FakeIncomingNumber, FakeTwilioRest } from './fake-twilio-rest.js';
import { fakeSid, formBody, sendTwilioError } from './twilio-wire.js';

const ORIGIN = 'https://trunking.twilio.com';
const TRANSFER_MODES = ['disable-all', 'enable-all', 'sip-only'] as const;
type TransferMode = (typeof TRANSFER_MODES)[number];

export interface FakeTrunk {
  sid: string;
  accountSid: string;
  friendlyName: string;
  domainName: string | null;
  /** TLS signalling and SRTP media. */
  secure: boolean;
  transferMode: TransferMode;
  transferCallerId: 'from-transferee' | 'from-transferor';
  cnamLookupEnabled: boolean;
}

export interface FakeOriginationUrl {
  sid: string;
  trunkSid: string;
  accountSid: string;
  sipUrl: string;
  friendlyName: string;
  priority: number;
  weight: number;
  enabled: boolean;
}

export class FakeTrunking {
  readonly trunks = new Map<string, FakeTrunk>();
  readonly originationUrls = new Map<string, FakeOriginationUrl>();
  /** Every trunk and origination URL SID a DELETE removed, in order: tests prove nothing was deleted. */
  readonly deleted: string[] = [];
  private readonly created = new Date('2025-03-01T10:00:00Z');

  constructor(private readonly rest: FakeTwilioRest) {
    this.installRoutes();
  }

  addTrunk(trunk: Partial<FakeTrunk> = {}): FakeTrunk {
    const full: FakeTrunk = {
      sid: fakeSid('TK'),
      accountSid: [...this.rest.accounts.keys()][0]!,
      friendlyName: 'My trunk',
      domainName: null,
      // Twilio's defaults for a new trunk.
      secure: false,
      transferMode: 'disable-all',
      transferCallerId: 'from-transferee',
      cnamLookupEnabled: false,
      ...trunk,
    };
    this.trunks.set(full.sid, full);
    return full;
  }

  addOriginationUrl(url: Partial<FakeOriginationUrl> & { trunkSid: string; sipUrl: string }): FakeOriginationUrl {
    const full: FakeOriginationUrl = {
      sid: fakeSid('OU'),
      accountSid: this.trunks.get(url.trunkSid)!.accountSid,
      friendlyName: url.sipUrl,
      priority: 10,
      weight: 10,
      enabled: true,
      ...url,
    };
    this.originationUrls.set(full.sid, full);
    return full;
  }

  urlsOf(trunkSid: string): FakeOriginationUrl[] {
    return [...this.originationUrls.values()].filter((url) => url.trunkSid === trunkSid);
  }

  numbersOf(trunkSid: string): FakeIncomingNumber[] {
    return [...this.rest.numbers.values()].filter((number) => number.trunkSid === trunkSid);
  }

  private trunkFor(request: FakeRequest, response: ServerResponse): { caller: Caller; trunk: FakeTrunk } | undefined {
    const caller = this.rest.authenticate(request, response);
    if (!caller) return undefined;
    const trunk = this.trunks.get(request.params.trunk!);
    if (!trunk || trunk.accountSid !== caller.accountSid) {
      sendTwilioError(response, 404, 20404, `The requested resource ${request.path} was not found`);
      return undefined;
    }
    return { caller, trunk };
  }

  private installRoutes(): void {
    const route = this.rest.route.bind(this.rest);
    const notFound = (request: FakeRequest, response: ServerResponse) =>
      sendTwilioError(response, 404, 20404, `The requested resource ${request.path} was not found`);

    route('GET', '/v1/Trunks', (request, response) => {
      const caller = this.rest.authenticate(request, response);
      if (!caller) return;
      const trunks = [...this.trunks.values()].filter((trunk) => trunk.accountSid === caller.accountSid);
      sendPage(request, response, 'trunks', trunks.map((trunk) => this.trunkToWire(trunk)));
    });

    route('POST', '/v1/Trunks', (request, response) => {
      const caller = this.rest.authenticate(request, response);
      if (!caller) return;
      const fields = this.trunkFields(formBody(request), response);
      if (!fields) return;
      const trunk = this.addTrunk({ accountSid: caller.accountSid, friendlyName: '', ...fields });
      sendJson(response, 201, this.trunkToWire(trunk));
    });

    route('GET', '/v1/Trunks/:trunk', (request, response) => {
      const found = this.trunkFor(request, response);
      if (found) sendJson(response, 200, this.trunkToWire(found.trunk));
    });

    route('POST', '/v1/Trunks/:trunk', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const fields = this.trunkFields(formBody(request), response);
      if (!fields) return;
      Object.assign(found.trunk, fields);
      sendJson(response, 200, this.trunkToWire(found.trunk));
    });

    route('DELETE', '/v1/Trunks/:trunk', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      this.trunks.delete(found.trunk.sid);
      for (const url of this.urlsOf(found.trunk.sid)) this.originationUrls.delete(url.sid);
      for (const number of this.numbersOf(found.trunk.sid)) number.trunkSid = null;
      this.deleted.push(found.trunk.sid);
      response.writeHead(204).end();
    });

    route('GET', '/v1/Trunks/:trunk/OriginationUrls', (request, response) => {
      const found = this.trunkFor(request, response);
      if (found) sendPage(request, response, 'origination_urls', this.urlsOf(found.trunk.sid).map((url) => this.originationUrlToWire(url)));
    });

    route('POST', '/v1/Trunks/:trunk/OriginationUrls', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const form = formBody(request);
      for (const name of ['Weight', 'Priority', 'Enabled', 'FriendlyName', 'SipUrl']) {
        if (form[name] === undefined) return sendTwilioError(response, 400, 20001, `Missing required parameter ${name} in the post body`);
      }
      const fields = this.originationUrlFields(form, response);
      if (!fields) return;
      const url = this.addOriginationUrl({ trunkSid: found.trunk.sid, sipUrl: fields.sipUrl!, ...fields });
      sendJson(response, 201, this.originationUrlToWire(url));
    });

    route('GET', '/v1/Trunks/:trunk/OriginationUrls/:sid', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const url = this.originationUrls.get(request.params.sid!);
      if (!url || url.trunkSid !== found.trunk.sid) return notFound(request, response);
      sendJson(response, 200, this.originationUrlToWire(url));
    });

    route('POST', '/v1/Trunks/:trunk/OriginationUrls/:sid', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const url = this.originationUrls.get(request.params.sid!);
      if (!url || url.trunkSid !== found.trunk.sid) return notFound(request, response);
      const fields = this.originationUrlFields(formBody(request), response);
      if (!fields) return;
      Object.assign(url, fields);
      sendJson(response, 200, this.originationUrlToWire(url));
    });

    route('DELETE', '/v1/Trunks/:trunk/OriginationUrls/:sid', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const url = this.originationUrls.get(request.params.sid!);
      if (!url || url.trunkSid !== found.trunk.sid) return notFound(request, response);
      this.originationUrls.delete(url.sid);
      this.deleted.push(url.sid);
      response.writeHead(204).end();
    });

    route('GET', '/v1/Trunks/:trunk/PhoneNumbers', (request, response) => {
      const found = this.trunkFor(request, response);
      if (found) sendPage(request, response, 'phone_numbers', this.numbersOf(found.trunk.sid).map((number) => this.phoneNumberToWire(number)));
    });

    route('POST', '/v1/Trunks/:trunk/PhoneNumbers', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const sid = formBody(request).PhoneNumberSid;
      if (sid === undefined) return sendTwilioError(response, 400, 20001, 'Missing required parameter PhoneNumberSid in the post body');
      const number = this.rest.numbers.get(sid);
      if (!number || number.accountSid !== found.trunk.accountSid) return sendTwilioError(response, 400, 20001, `PhoneNumberSid is not valid: ${sid}`);
      // A number belongs to one trunk at most; attaching it here takes it from any other, and from its TwiML App.
      number.trunkSid = found.trunk.sid;
      number.voiceApplicationSid = null;
      sendJson(response, 201, this.phoneNumberToWire(number));
    });

    route('GET', '/v1/Trunks/:trunk/PhoneNumbers/:sid', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const number = this.rest.numbers.get(request.params.sid!);
      if (!number || number.trunkSid !== found.trunk.sid) return notFound(request, response);
      sendJson(response, 200, this.phoneNumberToWire(number));
    });

    route('DELETE', '/v1/Trunks/:trunk/PhoneNumbers/:sid', (request, response) => {
      const found = this.trunkFor(request, response);
      if (!found) return;
      const number = this.rest.numbers.get(request.params.sid!);
      if (!number || number.trunkSid !== found.trunk.sid) return notFound(request, response);
      number.trunkSid = null;
      response.writeHead(204).end();
    });
  }

  /** The trunk fields of a create or update form, or undefined once a 400 was answered. */
  private trunkFields(form: Record<string, string>, response: ServerResponse): Partial<FakeTrunk> | undefined {
    const fields: Partial<FakeTrunk> = {};
    if (form.FriendlyName !== undefined) fields.friendlyName = form.FriendlyName;
    if (form.TransferMode !== undefined) {
      if (!(TRANSFER_MODES as readonly string[]).includes(form.TransferMode)) {
        sendTwilioError(response, 400, 20001, `TransferMode is not valid: ${form.TransferMode}. Use ${TRANSFER_MODES.join(', ')}.`);
        return undefined;
      }
      fields.transferMode = form.TransferMode as TransferMode;
    }
    for (const [name, key] of [['Secure', 'secure'], ['CnamLookupEnabled', 'cnamLookupEnabled']] as const) {
      const value = form[name];
      if (value === undefined) continue;
      if (value !== 'true' && value !== 'false') {
        sendTwilioError(response, 400, 20001, `${name} is not valid: ${value}. Use true or false.`);
        return undefined;
      }
      fields[key] = value === 'true';
    }
    return fields;
  }

  private originationUrlFields(form: Record<string, string>, response: ServerResponse): Partial<FakeOriginationUrl> | undefined {
    const fields: Partial<FakeOriginationUrl> = {};
    if (form.SipUrl !== undefined) {
      if (!/^sips?:[^@\s]+@[^\s]+$|^sips?:[^\s@]+$/i.test(form.SipUrl)) {
        sendTwilioError(response, 400, 20001, `SipUrl is not valid: ${form.SipUrl}. It must be a SIP URI, e.g. sip:name@example.com.`);
        return undefined;
      }
      fields.sipUrl = form.SipUrl;
    }
    if (form.FriendlyName !== undefined) fields.friendlyName = form.FriendlyName;
    for (const [name, key] of [['Priority', 'priority'], ['Weight', 'weight']] as const) {
      const value = form[name];
      if (value === undefined) continue;
      const number = Number(value);
      if (!/^\d+$/.test(value) || number > 65535) {
        sendTwilioError(response, 400, 20001, `${name} is not valid: ${value}. Use a whole number from 0 to 65535.`);
        return undefined;
      }
      fields[key] = number;
    }
    if (form.Enabled !== undefined) {
      if (form.Enabled !== 'true' && form.Enabled !== 'false') {
        sendTwilioError(response, 400, 20001, `Enabled is not valid: ${form.Enabled}. Use true or false.`);
        return undefined;
      }
      fields.enabled = form.Enabled === 'true';
    }
    return fields;
  }

  private trunkToWire(trunk: FakeTrunk) {
    const url = `${ORIGIN}/v1/Trunks/${trunk.sid}`;
    return {
      account_sid: trunk.accountSid,
      domain_name: trunk.domainName,
      disaster_recovery_method: null,
      disaster_recovery_url: null,
      friendly_name: trunk.friendlyName,
      secure: trunk.secure,
      recording: { mode: 'do-not-record', trim: 'do-not-trim' },
      transfer_mode: trunk.transferMode,
      transfer_caller_id: trunk.transferCallerId,
      cnam_lookup_enabled: trunk.cnamLookupEnabled,
      auth_type: null,
      symmetric_rtp_enabled: false,
      auth_type_set: [],
      date_created: this.created.toISOString().replace('.000Z', 'Z'),
      date_updated: this.created.toISOString().replace('.000Z', 'Z'),
      sid: trunk.sid,
      url,
      links: {
        origination_urls: `${url}/OriginationUrls`,
        credential_lists: `${url}/CredentialLists`,
        ip_access_control_lists: `${url}/IpAccessControlLists`,
        phone_numbers: `${url}/PhoneNumbers`,
        recording: `${url}/Recording`,
      },
    };
  }

  private originationUrlToWire(url: FakeOriginationUrl) {
    return {
      account_sid: url.accountSid,
      sid: url.sid,
      trunk_sid: url.trunkSid,
      weight: url.weight,
      enabled: url.enabled,
      sip_url: url.sipUrl,
      friendly_name: url.friendlyName,
      priority: url.priority,
      date_created: this.created.toISOString().replace('.000Z', 'Z'),
      date_updated: this.created.toISOString().replace('.000Z', 'Z'),
      url: `${ORIGIN}/v1/Trunks/${url.trunkSid}/OriginationUrls/${url.sid}`,
    };
  }

  private phoneNumberToWire(number: FakeIncomingNumber) {
    const url = `${ORIGIN}/v1/Trunks/${number.trunkSid}/PhoneNumbers/${number.sid}`;
    return {
      account_sid: number.accountSid,
      address_requirements: 'none',
      api_version: '2010-04-01',
      beta: false,
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      date_created: this.created.toISOString().replace('.000Z', 'Z'),
      date_updated: this.created.toISOString().replace('.000Z', 'Z'),
      friendly_name: number.friendlyName,
      links: { phone_number: `https://api.twilio.com/2010-04-01/Accounts/${number.accountSid}/IncomingPhoneNumbers/${number.sid}.json` },
      phone_number: number.phoneNumber,
      sid: number.sid,
      sms_application_sid: '',
      sms_fallback_method: 'POST',
      sms_fallback_url: '',
      sms_method: 'POST',
      sms_url: '',
      status_callback: '',
      status_callback_method: 'POST',
      trunk_sid: number.trunkSid,
      url,
      voice_application_sid: number.voiceApplicationSid ?? '',
      voice_caller_id_lookup: false,
      voice_fallback_method: 'POST',
      voice_fallback_url: number.voiceFallbackUrl ?? '',
      voice_method: number.voiceMethod,
      voice_url: number.voiceUrl ?? '',
    };
  }
}

/**
 * One page of a v1 list, as Twilio pages it: PageSize (default 50, at most 1000) and Page, with a PageToken that the
 * next_page_url carries. The URLs are absolute on trunking.twilio.com, as Twilio gives them.
 */
function sendPage(request: FakeRequest, response: ServerResponse, key: string, items: unknown[]): void {
  const pageSize = Math.min(Math.max(Number(request.query.get('PageSize') ?? 50) || 50, 1), 1000);
  const page = Math.max(Number(request.query.get('Page') ?? 0) || 0, 0);
  const start = page * pageSize;
  const slice = items.slice(start, start + pageSize);
  const pageUrl = (number: number) => {
    const query = new URLSearchParams({ PageSize: String(pageSize), Page: String(number) });
    if (number > 0) query.set('PageToken', `PT${number * pageSize}`);
    return `${ORIGIN}${request.path}?${query.toString()}`;
  };
  sendJson(response, 200, {
    [key]: slice,
    meta: {
      page,
      page_size: pageSize,
      first_page_url: pageUrl(0),
      previous_page_url: page > 0 ? pageUrl(page - 1) : null,
      url: pageUrl(page),
      next_page_url: start + pageSize < items.length ? pageUrl(page + 1) : null,
      key,
    },
  });
}
