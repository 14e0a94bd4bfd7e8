import { describe, expect, it } from 'vitest';
import { checkDestination, countryCodeOf, parseAllowedPrefixes } from '../../src/knowledge/dialing.js';

describe('country calling codes', () => {
  it('finds the code of a number among its first three digits', () => {
    expect(countryCodeOf('+14155550123')).toBe('+1');
    expect(countryCodeOf('+442071838750')).toBe('+44');
    expect(countryCodeOf('+79161234567')).toBe('+7');
    expect(countryCodeOf('+353861234567')).toBe('+353');
    expect(countryCodeOf('+8613800138000')).toBe('+86');
    expect(countryCodeOf('+2348031234567')).toBe('+234');
    expect(countryCodeOf('4155550123')).toBeUndefined();
    // 28x is not assigned
    expect(countryCodeOf('+2801234567')).toBeUndefined();
  });
});

describe('DIAL_ALLOWED_PREFIXES', () => {
  it('defaults to the country code of TWILIO_PHONE_NUMBER', () => {
    expect(parseAllowedPrefixes(undefined, '+14155550123')).toEqual({ ok: true, prefixes: ['+1'] });
    expect(parseAllowedPrefixes('  ', '+442071838750')).toEqual({ ok: true, prefixes: ['+44'] });
    const none = parseAllowedPrefixes(undefined, undefined);
    expect(none.ok).toBe(false);
  });

  it('reads prefixes separated by commas or spaces, a missing + added', () => {
    expect(parseAllowedPrefixes('+1, +44 33,+4930', '+14155550123')).toEqual({ ok: true, prefixes: ['+1', '+44', '+33', '+4930'] });
  });

  it('refuses what is not a prefix, a partial country code, and allow-everything', () => {
    expect(parseAllowedPrefixes('+1,+4x', undefined)).toEqual({ ok: false, problem: expect.stringContaining('"+4x" is not a prefix') });
    expect(parseAllowedPrefixes('+3', undefined)).toEqual({ ok: false, problem: expect.stringContaining('"+3" does not start with a country calling code') });
    expect(parseAllowedPrefixes('*', undefined)).toEqual({ ok: false, problem: expect.stringContaining('cannot allow every destination') });
    expect(parseAllowedPrefixes(',,', undefined)).toEqual({ ok: false, problem: expect.stringContaining('is empty') });
  });
});

describe('destinations', () => {
  const us = ['+1'];
  it('allows a number within the prefixes', () => {
    expect(checkDestination('+14155550199', us, true)).toEqual({ ok: true });
    expect(checkDestination('+442071838750', ['+1', '+44'], false)).toEqual({ ok: true });
  });

  it('refuses a number outside them, saying what to add', () => {
    const refused = checkDestination('+442071838750', us, true);
    expect(refused).toEqual({
      ok: false,
      problem:
        '+442071838750 is outside DIAL_ALLOWED_PREFIXES (not set: the country code of TWILIO_PHONE_NUMBER, +1). To call it, add +44 to DIAL_ALLOWED_PREFIXES in .env (e.g. DIAL_ALLOWED_PREFIXES=+1,+44).',
    });
  });

  it('refuses a number with no country calling code in use, without advising a prefix that could not be set', () => {
    expect(checkDestination('+2801234567', us, true)).toEqual({
      ok: false,
      problem: '+2801234567 does not start with a country calling code in use (ITU-T E.164): check the number, written + country code and number.',
    });
  });

  it('refuses what is not E.164', () => {
    expect(checkDestination('4155550199', us, true)).toEqual({ ok: false, problem: expect.stringContaining('missing the + and country code') });
  });

  it.each([
    ['+19005550100', 'NANP premium-rate number (900 services)'],
    ['+19765550100', 'NANP premium-rate number (976 services)'],
    ['+449012345678', 'UK premium-rate number'],
    ['+448712345678', 'UK revenue-sharing number'],
    ['+881612345678', 'Global Mobile Satellite System'],
    ['+882161234567', 'international network number (+882)'],
    ['+883510012345', 'international network number (+883)'],
    ['+979123456789', 'international premium-rate number (+979)'],
    ['+80812345678', 'international shared-cost number (+808)'],
  ])('refuses the premium-rate number %s even when its prefix is allowed', (number, what) => {
    const check = checkDestination(number, ['+1', '+44', '+881', '+882', '+883', '+979', '+808'], false);
    expect(check).toEqual({ ok: false, problem: expect.stringContaining(what) });
    expect(check.ok === false && check.problem).toContain('never placed, whatever DIAL_ALLOWED_PREFIXES says');
  });

  it('refuses Caribbean NANP numbers under +1 unless their own prefix is listed', () => {
    expect(checkDestination('+18765550100', us, true)).toEqual({ ok: false, problem: expect.stringContaining('Jamaica (+1876)') });
    expect(checkDestination('+12685550100', us, true)).toEqual({ ok: false, problem: expect.stringContaining('add +1268 to DIAL_ALLOWED_PREFIXES') });
    expect(checkDestination('+18765550100', ['+1', '+1876'], false)).toEqual({ ok: true });
  });
});
