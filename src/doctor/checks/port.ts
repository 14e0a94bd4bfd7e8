// Check 9: PORT is a port number and nothing else listens on it here, so `voicebridge serve` can start.
// Tries to listen on 0.0.0.0 for a moment (as serve will); when taken, asks /healthz whether voicebridge holds it.
import { createServer } from 'node:net';
import type { Config } from '../../config/config.js';
import type { Check, CheckContext, CheckResult } from '../check.js';
import { redactResult } from '../redact-result.js';
import { probeVoicebridge } from '../probe-voicebridge.js';

const PROBE_TIMEOUT_MS = 1_500;

export const portCheck: Check = {
  id: 'port',
  title: 'Port',
  timeoutMs: 5_000,
  async run(context) {
    return redactResult(await checkPort(context), context.config.secrets);
  },
};

async function checkPort({ config, signal }: CheckContext): Promise<CheckResult> {
  if (config.portProblem !== undefined || config.port === undefined) {
    return {
      status: 'fail',
      summary: config.portProblem ?? 'PORT is not a port number',
      fix: `Set PORT to a whole number from 1024 to 65535 in ${config.envFile.path}, e.g. PORT=5000 (or remove it: the default is 5000).`,
    };
  }
  const port = config.port;
  const outcome = await tryListen(port);
  if (outcome === 'free') return { status: 'ok', summary: `port ${port} is free` };

  if (outcome === 'EACCES') {
    return {
      status: 'fail',
      summary: `port ${port} needs administrator rights on this machine`,
      fix: `Use a port above 1023, e.g. PORT=5000 in ${config.envFile.path}; your tunnel or proxy still serves https on 443.`,
    };
  }
  if (outcome !== 'EADDRINUSE') {
    return { status: 'fail', summary: `cannot listen on port ${port}: ${outcome}`, fix: `Choose another port: PORT=5000 in ${config.envFile.path}.` };
  }

  const probe = await probeVoicebridge(`http://127.0.0.1:${port}/healthz`, { timeoutMs: PROBE_TIMEOUT_MS, signal });
  if (probe.kind === 'voicebridge') {
    return {
      status: 'warn',
      summary: `port ${port} is in use by a running voicebridge server`,
      fix: 'That server can already take calls. Stop it before starting another, or give the new one another PORT.',
    };
  }
  return inUseByOther(port, config);
}

async function inUseByOther(port: number, config: Config): Promise<CheckResult> {
  const free = await findFreePort(port);
  const detail: string[] = [];
  if (port === 5000 || port === 7000) detail.push('On macOS, AirPlay Receiver listens on ports 5000 and 7000 (System Settings > General > AirDrop & Handoff).');
  return {
    status: 'fail',
    summary: `port ${port} is in use by another program`,
    ...(detail.length > 0 ? { detail } : {}),
    fix: `Stop that program, or choose a free port: PORT=${free ?? port + 1} in ${config.envFile.path} (and point your tunnel at it).`,
  };
}

/** 'free', or the error code that stopped the listen (EADDRINUSE, EACCES, …). */
function tryListen(port: number): Promise<'free' | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve('free')));
  });
}

async function findFreePort(port: number): Promise<number | undefined> {
  for (let candidate = port + 1; candidate <= Math.min(port + 20, 65535); candidate += 1) {
    if ((await tryListen(candidate)) === 'free') return candidate;
  }
  return undefined;
}
