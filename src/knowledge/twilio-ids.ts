// Formats of Twilio credentials and phone numbers, checked before any network call.

export const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;
export const API_KEY_SID = /^SK[0-9a-f]{32}$/;
export const AUTH_TOKEN = /^[0-9a-zA-Z]{32}$/;
export const E164 = /^\+[1-9]\d{6,14}$/;

/** Explains why a value is not an Account SID, or returns undefined when it is one. */
export function accountSidProblem(value: string): string | undefined {
  if (ACCOUNT_SID.test(value)) return undefined;
  if (value !== value.trim()) return 'has spaces around it';
  if (/^AC[0-9A-F]{32}$/i.test(value)) return 'has upper-case hex digits: Account SIDs are AC followed by 32 lower-case hex digits';
  if (value.startsWith('SK')) return 'is an API key SID (SK…), not an Account SID (AC…)';
  if (value.startsWith('PN')) return 'is a phone number SID (PN…), not an Account SID (AC…)';
  return `should be AC followed by 32 hex digits (found ${value.length} characters)`;
}

export function apiKeySidProblem(value: string): string | undefined {
  if (API_KEY_SID.test(value)) return undefined;
  if (value.startsWith('AC')) return 'is an Account SID (AC…), not an API key SID (SK…)';
  return `should be SK followed by 32 hex digits (found ${value.length} characters)`;
}

export function authTokenProblem(value: string): string | undefined {
  if (AUTH_TOKEN.test(value)) return undefined;
  if (value !== value.trim()) return 'has spaces around it';
  return `should be 32 letters and digits (found ${value.length} characters)`;
}

export function phoneNumberProblem(value: string): string | undefined {
  if (E164.test(value)) return undefined;
  const digits = value.replace(/[\s().-]/g, '');
  if (E164.test(digits)) return `is not in E.164 form: write it as ${digits}`;
  if (/^\d{10,15}$/.test(digits)) return `is missing the + and country code: E.164 looks like +${digits.length === 10 ? '1' : ''}${digits}`;
  return 'is not a phone number in E.164 form (+ country code and number, e.g. +14155550123)';
}
