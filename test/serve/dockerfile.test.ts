// The container image for `voicebridge serve`, read as Docker reads the Dockerfile: Node 22 in every stage, dist/
// compiled where the dev dependencies are, only production dependencies installed from the lockfile in the image that
// runs, an unprivileged user, and a build context that never carries secrets or local builds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const dockerignore = readFileSync(new URL('.dockerignore', root), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** The Dockerfile's instructions, continuation lines joined, split into stages at each FROM. */
function stages(): Array<{ from: string; name: string | undefined; instructions: string[] }> {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: Array<{ from: string; name: string | undefined; instructions: string[] }> = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) result.push({ from: from[1]!, name: from[2], instructions: [] });
    else result.at(-1)!.instructions.push(line);
  }
  return result;
}

describe('the Dockerfile', () => {
  const all = stages();
  const runtime = all.at(-1)!;
  const build = all.find((stage) => runtime.instructions.some((line) => stage.name && line.startsWith(`COPY --from=${stage.name} /app/dist`)));

  it('runs every stage on Node 22', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage.from).toMatch(/^node:22[.-]/);
  });

  it('compiles dist/ in a stage with the dev dependencies, installed from the lockfile, and copies it into the image', () => {
    expect(build).toBeDefined();
    const steps = build!.instructions.join('\n');
    expect(steps).toContain('COPY package.json package-lock.json ./');
    expect(steps).toMatch(/RUN npm ci\b(?!.*--omit=dev)/);
    expect(steps).toMatch(/RUN npm run build/);
  });

  it('installs only the production dependencies, from the lockfile, without install scripts, in the image that runs', () => {
    const steps = runtime.instructions.join('\n');
    expect(steps).toContain('COPY package.json package-lock.json ./');
    expect(steps).toMatch(/RUN npm ci --omit=dev .*--ignore-scripts/);
    expect(steps).not.toMatch(/npm install/);
    expect(steps).toContain('COPY bin ./bin');
  });

  it('runs voicebridge serve with JSON logs as an unprivileged user, checked on /healthz', () => {
    const user = runtime.instructions.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    const cmd = runtime.instructions.find((line) => line.startsWith('CMD '));
    expect(JSON.parse(cmd!.slice('CMD '.length))).toEqual(['voicebridge', 'serve', '--log-format', 'json']);
    expect(runtime.instructions.find((line) => line.startsWith('HEALTHCHECK '))).toContain('/healthz');
  });

  it('builds from a context without secrets, dependencies or local builds', () => {
    for (const entry of ['.env', '.env.*', 'node_modules', 'dist', 'dist-bench', '.git']) expect(dockerignore).toContain(entry);
    expect(dockerignore).toContain('!.env.example');
  });
});
