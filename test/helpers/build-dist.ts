// Vitest global set-up: compiles dist/ once, before any test runs, so every test that spawns the CLI runs the code
// under test and never a stale build left from an earlier checkout.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function buildDist(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // The CLI, then the browser phone's page (its own project: DOM types, browser modules).
  for (const project of ['tsconfig.build.json', 'tsconfig.page.json']) {
    const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`Building dist/ for the tests failed (${project}):\n${result.stdout}${result.stderr}`);
  }
}
