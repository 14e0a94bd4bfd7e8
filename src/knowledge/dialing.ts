// Where outbound calls may go. Placing calls is how Twilio accounts get abused (toll fraud: a leaked key dials premium
// numbers that pay the fraudster per minute), so a destination must be E.164, start with one of the allowed prefixes
// (by default the country code of TWILIO_PHONE_NUMBER), and never be in a premium-rate range. The tables below are the
// E.164 country calling codes (ITU-T E.164 assignment list) and the premium-rate and fraud-prone ranges we know of.
import { E164, phoneNumberProblem } from './twilio-ids.js';

/**
 * Every assigned E.164 country calling code. Country codes are prefix-free (no code starts another), so a number's
 * code is the one entry among its first one, two or three digits.
 */
export const COUNTRY_CODES: ReadonlySet<string> = new Set(
  [
    '1 7',
    '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98',
    '211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249',
    '250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299',
    '350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 379 380 381 382 383 385 386 387 389 420 421 423',
    '500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599',
    '670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692',
    '800 808 850 852 853 855 856 870 878 880 881 882 883 886 888',
    '960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 979 992 993 994 995 996 998',
  ]
    .join(' ')
    .split(' '),
);

/** A range no call is ever placed to, whatever DIAL_ALLOWED_PREFIXES says. */
export interface PremiumRange {
  /** E.164 prefix, e.g. +1900. */
  prefix: string;
  /** What the range is, for the refusal. */
  what: string;
}

/** Premium-rate, shared-cost and international network ranges: billed far above a normal call, the toll-fraud targets. */
export const PREMIUM_RANGES: readonly PremiumRange[] = [
  // North American Numbering Plan
  { prefix: '+1900', what: 'a NANP premium-rate number (900 services)' },
  { prefix: '+1976', what: 'a NANP premium-rate number (976 services)' },
  // United Kingdom: 09 premium rate, 087 revenue-sharing, 070 personal numbers (a long-standing fraud route)
  { prefix: '+449', what: 'a UK premium-rate number (09…)' },
  { prefix: '+4487', what: 'a UK revenue-sharing number (087…)' },
  { prefix: '+4470', what: 'a UK personal number (070…), billed at premium rates' },
  // Other national premium ranges
  { prefix: '+49900', what: 'a German premium-rate number (0900…)' },
  { prefix: '+49137', what: 'a German televoting number (0137…)' },
  { prefix: '+49138', what: 'a German televoting number (0138…)' },
  { prefix: '+3389', what: 'a French premium-rate number (089…)' },
  { prefix: '+3989', what: 'an Italian premium-rate number (89…)' },
  { prefix: '+34803', what: 'a Spanish premium-rate number (803…)' },
  { prefix: '+34806', what: 'a Spanish premium-rate number (806…)' },
  { prefix: '+34807', what: 'a Spanish premium-rate number (807…)' },
  { prefix: '+34905', what: 'a Spanish premium-rate number (905…)' },
  { prefix: '+31900', what: 'a Dutch premium-rate number (0900…)' },
  { prefix: '+31906', what: 'a Dutch premium-rate number (0906…)' },
  { prefix: '+31909', what: 'a Dutch premium-rate number (0909…)' },
  { prefix: '+61190', what: 'an Australian premium-rate number (190…)' },
  // ITU international ranges (no country: satellite, international networks, shared cost, premium)
  { prefix: '+808', what: 'an international shared-cost number (+808)' },
  { prefix: '+870', what: 'an Inmarsat satellite number (+870)' },
  { prefix: '+878', what: 'a Universal Personal Telecommunications number (+878)' },
  { prefix: '+881', what: 'a Global Mobile Satellite System number (+881)' },
  { prefix: '+882', what: 'an international network number (+882)' },
  { prefix: '+883', what: 'an international network number (+883)' },
  { prefix: '+979', what: 'an international premium-rate number (+979)' },
];

/**
 * NANP area codes outside the US and Canada (the Caribbean and Atlantic islands): they dial like +1 numbers but are
 * billed as international calls, and are the classic toll-fraud route ("one-ring" scams). A call to one is placed only
 * when DIAL_ALLOWED_PREFIXES names it (or a longer prefix within it) explicitly: +1 alone does not.
 */
export const NANP_HIGH_COST: Readonly<Record<string, string>> = {
  '+1242': 'the Bahamas',
  '+1246': 'Barbados',
  '+1264': 'Anguilla',
  '+1268': 'Antigua and Barbuda',
  '+1284': 'the British Virgin Islands',
  '+1345': 'the Cayman Islands',
  '+1441': 'Bermuda',
  '+1473': 'Grenada',
  '+1649': 'the Turks and Caicos Islands',
  '+1658': 'Jamaica',
  '+1664': 'Montserrat',
  '+1721': 'Sint Maarten',
  '+1758': 'Saint Lucia',
  '+1767': 'Dominica',
  '+1784': 'Saint Vincent and the Grenadines',
  '+1809': 'the Dominican Republic',
  '+1829': 'the Dominican Republic',
  '+1849': 'the Dominican Republic',
  '+1868': 'Trinidad and Tobago',
  '+1869': 'Saint Kitts and Nevis',
  '+1876': 'Jamaica',
};

/** The country calling code of an E.164 number, with its +, e.g. +44 for +442071838750; undefined when none fits. */
export function countryCodeOf(number: string): string | undefined {
  if (!E164.test(number)) return undefined;
  const digits = number.slice(1);
  for (const length of [1, 2, 3]) {
    const code = digits.slice(0, length);
    if (COUNTRY_CODES.has(code)) return `+${code}`;
  }
  return undefined;
}

export type AllowedPrefixes = { ok: true; prefixes: string[] } | { ok: false; problem: string };

const PREFIX = /^\+[1-9]\d{0,13}$/;

/**
 * Reads DIAL_ALLOWED_PREFIXES (`+1,+44`, commas or spaces between): each a + and digits that start with a whole country
 * code. Unset: the country code of `ownNumber` (TWILIO_PHONE_NUMBER), or nothing allowed when that is not known.
 */
export function parseAllowedPrefixes(raw: string | undefined, ownNumber: string | undefined): AllowedPrefixes {
  if (raw === undefined || raw.trim() === '') {
    const code = ownNumber === undefined ? undefined : countryCodeOf(ownNumber.trim());
    if (!code) {
      return {
        ok: false,
        problem:
          'DIAL_ALLOWED_PREFIXES is not set and TWILIO_PHONE_NUMBER is not an E.164 number to take its country code from. Set TWILIO_PHONE_NUMBER, or DIAL_ALLOWED_PREFIXES (e.g. DIAL_ALLOWED_PREFIXES=+1).',
      };
    }
    return { ok: true, prefixes: [code] };
  }
  const prefixes: string[] = [];
  for (const entry of raw.split(/[\s,;]+/).filter((part) => part !== '')) {
    if (entry === '*' || entry === '+') {
      return { ok: false, problem: `DIAL_ALLOWED_PREFIXES cannot allow every destination ("${entry}"): list each country code you call, e.g. DIAL_ALLOWED_PREFIXES=+1,+44.` };
    }
    const written = /^\d/.test(entry) ? `+${entry}` : entry;
    if (!PREFIX.test(written)) {
      return { ok: false, problem: `DIAL_ALLOWED_PREFIXES: "${entry}" is not a prefix. Write each as + and digits, separated by commas, e.g. DIAL_ALLOWED_PREFIXES=+1,+44.` };
    }
    const digits = written.slice(1);
    const hasCode = [1, 2, 3].some((length) => digits.length >= length && COUNTRY_CODES.has(digits.slice(0, length)));
    if (!hasCode) {
      return { ok: false, problem: `DIAL_ALLOWED_PREFIXES: "${entry}" does not start with a country calling code. Write the whole code (e.g. +33 for France, not +3).` };
    }
    if (!prefixes.includes(written)) prefixes.push(written);
  }
  if (prefixes.length === 0) return { ok: false, problem: 'DIAL_ALLOWED_PREFIXES is empty. List the country codes calls may go to, e.g. DIAL_ALLOWED_PREFIXES=+1,+44.' };
  return { ok: true, prefixes };
}

export type DestinationCheck = { ok: true } | { ok: false; problem: string };

/**
 * Whether a call may be placed to `to`: E.164, not premium-rate, not a high-cost NANP island unless named, and within
 * the allowed prefixes. A refusal says why and what to change.
 */
export function checkDestination(to: string, allowed: readonly string[], defaulted: boolean): DestinationCheck {
  const format = phoneNumberProblem(to);
  if (format) return { ok: false, problem: `"to" ${format}` };
  const premium = PREMIUM_RANGES.find((range) => to.startsWith(range.prefix));
  if (premium) {
    return { ok: false, problem: `${to} is ${premium.what}: calls to premium-rate ranges are never placed, whatever DIAL_ALLOWED_PREFIXES says.` };
  }
  const where = defaulted ? `DIAL_ALLOWED_PREFIXES (not set: the country code of TWILIO_PHONE_NUMBER, ${allowed.join(',')})` : `DIAL_ALLOWED_PREFIXES (${allowed.join(',')})`;
  const island = Object.keys(NANP_HIGH_COST).find((prefix) => to.startsWith(prefix));
  if (island) {
    if (allowed.some((prefix) => prefix.length >= island.length && to.startsWith(prefix))) return { ok: true };
    return {
      ok: false,
      problem: `${to} is in ${NANP_HIGH_COST[island]} (${island}): it dials like a +1 number but is billed as an international call, a common toll-fraud route. To call it, add ${island} to ${where}.`,
    };
  }
  if (allowed.some((prefix) => to.startsWith(prefix))) return { ok: true };
  const code = countryCodeOf(to);
  // No prefix could allow it (DIAL_ALLOWED_PREFIXES takes only whole country codes): the number itself is wrong.
  if (!code) return { ok: false, problem: `${to} does not start with a country calling code in use (ITU-T E.164): check the number, written + country code and number.` };
  return { ok: false, problem: `${to} is outside ${where}. To call it, add ${code} to DIAL_ALLOWED_PREFIXES in .env (e.g. DIAL_ALLOWED_PREFIXES=${[...allowed, code].join(',')}).` };
}
