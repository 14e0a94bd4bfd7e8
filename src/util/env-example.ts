// Where the commented list of every setting voicebridge reads (.env.example) is, as a path to copy from the current
// folder: `.env.example` in a checkout's root, the installed package's copy anywhere else (npx, a dependency).
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The same depth below the package root from src/util/ and dist/util/. */
const SHIPPED = fileURLToPath(new URL('../../.env.example', import.meta.url));

export function envExamplePath(cwd: string = process.cwd(), shipped: string = SHIPPED): string {
  if (!existsSync(shipped)) return '.env.example';
  const below = relative(cwd, shipped);
  return below !== '' && !below.startsWith('..') && !isAbsolute(below) ? below : shipped;
}
