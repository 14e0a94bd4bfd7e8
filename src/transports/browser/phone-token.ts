// The browser phone's key: a random token made once per run of serve and printed in the console, in the page URL's
// fragment (which the browser never sends to the server). The page presents it when it opens its call socket; a
// socket without it is refused before anything is opened, so another page or program on this machine cannot place
// calls on the user's OpenAI account.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: a token the WebSocket subprotocol syntax carries as it is. */
export function createPhoneToken(): string {
  return randomBytes(32).toString('base64url');
}

/** True when `presented` is the token. Compared as digests, in constant time whatever the presented length. */
export function phoneTokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined || token === '') return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(token));
}
