// What GET /phone serves: one HTML page, its style sheet and its scripts (compiled from page/ into dist/ with the
// project). Only these files, with their content types, no caching, and a Content-Security-Policy that lets the page
// run nothing but its own scripts and connect nowhere but back to this server.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

export const PHONE_PAGE_PATH = '/phone';

/** The page's scripts, by the path they are served at, and the compiled file each is read from. */
export const PHONE_SCRIPTS: ReadonlyMap<string, string> = new Map([
  ['/phone/phone.js', 'phone.js'],
  ['/phone/capture-worklet.js', 'capture-worklet.js'],
  ['/phone/playback-worklet.js', 'playback-worklet.js'],
  ['/phone/g711.js', 'g711.js'],
]);
export const PHONE_STYLE_PATH = '/phone/phone.css';

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  // The microphone is asked for by this page only, never by a frame of it.
  'permissions-policy': 'microphone=(self), camera=(), geolocation=()',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>voicebridge phone</title>
<link rel="stylesheet" href="/phone/phone.css">
<script type="module" src="/phone/phone.js"></script>
</head>
<body>
<main>
<h1>voicebridge phone</h1>
<p class="hint">Talk to your agent through the same bridge a phone call takes.</p>
<div class="controls">
<button id="call" type="button">Call</button>
<button id="hangup" type="button" disabled>Hang up</button>
<meter id="level" min="0" max="1" value="0" title="Microphone level"></meter>
</div>
<p id="status" role="status">Ready.</p>
<ol id="transcript" aria-live="polite"></ol>
<p class="stats">Frames played: <span id="played">0</span></p>
</main>
</body>
</html>
`;

const STYLE = `body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
main { max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: .25rem; }
.hint, .stats { color: #5b6475; font-size: .9rem; }
.controls { display: flex; gap: .75rem; align-items: center; margin: 1rem 0; }
button { font: inherit; padding: .5rem 1.25rem; border: 0; border-radius: .4rem; cursor: pointer; }
#call { background: #1f9d55; color: white; }
#hangup { background: #d64545; color: white; }
button:disabled { opacity: .4; cursor: default; }
meter { width: 10rem; height: 1rem; }
#transcript { list-style: none; padding: 0; }
#transcript li { margin: .4rem 0; padding: .5rem .75rem; border-radius: .4rem; background: white; }
#transcript li.caller { background: #e3efff; }
#transcript li.agent { background: #e9f7ee; }
#transcript li.interrupted { text-decoration: line-through; opacity: .7; }
#transcript li.event { background: none; color: #5b6475; font-style: italic; }
`;

/**
 * The folder of the compiled page. Beside this module in dist/; when this module runs from src/ (tests run the
 * TypeScript directly), the build's copy in dist/.
 */
export function defaultPageDirectory(): string {
  const beside = fileURLToPath(new URL('./page/', import.meta.url));
  if (existsSync(`${beside}phone.js`)) return beside;
  return fileURLToPath(new URL('../../../dist/transports/browser/page/', import.meta.url));
}

/** Serves the page and its files; false when `path` is none of them. */
export async function servePhonePage(path: string, method: string | undefined, response: ServerResponse, pageDirectory: string): Promise<boolean> {
  const script = PHONE_SCRIPTS.get(path);
  if (path !== PHONE_PAGE_PATH && path !== PHONE_STYLE_PATH && script === undefined) return false;
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    response.end('The phone page is read with GET.');
    return true;
  }
  let body: string;
  let type: string;
  if (script !== undefined) {
    try {
      body = await readFile(`${pageDirectory}${script}`, 'utf8');
    } catch {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`The phone page's ${script} is missing from ${pageDirectory}: run npm run build.`);
      return true;
    }
    type = 'text/javascript; charset=utf-8';
  } else if (path === PHONE_STYLE_PATH) {
    body = STYLE;
    type = 'text/css; charset=utf-8';
  } else {
    body = PAGE;
    type = 'text/html; charset=utf-8';
  }
  response.writeHead(200, { ...COMMON_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(method === 'HEAD' ? undefined : body);
  return true;
}
