// Check 1: the .env file is there and readable, and says what the user meant (duplicates, quotes, spaces, CRLF…).
// Never prints a value: findings name keys and line numbers only.
import { dirname } from 'node:path';
import { ENV_KEYS, type Config } from '../../config/config.js';
import type { Check, CheckResult } from '../check.js';
import { redactResult } from '../redact-result.js';
import { lintEnvText } from '../lint-env-file.js';
import { intendedVariable } from '../misnamed-variables.js';

export const envFileCheck: Check = {
  id: 'env-file',
  title: '.env file',
  timeoutMs: 2_000,
  async run({ config }) {
    return redactResult(checkEnvFile(config), config.secrets);
  },
};

function checkEnvFile(config: Config): CheckResult {
  const file = config.envFile;
  const fromProcess = ENV_KEYS.filter((key) => config.sources[key] === 'process');

  if (!file.found) {
    if (file.explicit) {
      return {
        status: 'fail',
        summary: `${file.path} does not exist`,
        fix: 'Check the path given to --env-file (it is relative to the current folder), or create the file from .env.example.',
      };
    }
    if (fromProcess.length > 0) {
      return {
        status: 'warn',
        summary: `no .env in ${dirname(file.path)}; using ${fromProcess.length} variable${fromProcess.length === 1 ? '' : 's'} from the process environment`,
        fix: 'That works (e.g. in a container or CI). To keep the settings with the project, copy .env.example to .env and fill it in, or pass --env-file PATH.',
      };
    }
    return {
      status: 'fail',
      summary: `no .env in ${dirname(file.path)} and no voicebridge variables in the environment`,
      fix: 'Run the doctor from the folder that holds your .env, or pass --env-file PATH; to start fresh, copy .env.example to .env and fill it in.',
    };
  }
  if (file.error !== undefined) {
    return {
      status: 'fail',
      summary: `${file.path} cannot be read: ${file.error}`,
      fix: file.error === 'permission denied'
        ? `Give your user read access to it, e.g.: chmod 600 ${file.path}`
        : 'Point --env-file at the .env file itself.',
    };
  }

  const text = file.text ?? '';
  const count = Object.keys(file.values).length;
  if (text.trim() === '') {
    return {
      status: 'warn',
      summary: `${file.path} is empty`,
      fix: 'Copy .env.example into it and fill in the values.',
    };
  }

  const findings = lintEnvText(text);
  const detail = findings.map((finding) => (finding.line !== undefined ? `line ${finding.line}: ${finding.message}` : finding.message));
  for (const key of Object.keys(file.values)) {
    const intended = intendedVariable(key);
    // Only when the intended variable is missing: a project may share its .env with another tool that reads that name.
    if (intended === undefined || config.raw[intended] !== undefined) continue;
    const line = lineOfKey(text, key);
    detail.push(`${line !== undefined ? `line ${line}: ` : ''}voicebridge does not read ${key}; rename it to ${intended}`);
  }
  for (const key of ENV_KEYS) {
    if (config.sources[key] === 'process' && file.values[key] !== undefined && file.values[key] !== config.raw[key]) {
      detail.push(`${key} in this file is not used: your shell environment sets a different value, and the environment wins (unset ${key} there to use the file)`);
    }
  }
  const warnings = findings.filter((finding) => finding.severity === 'warn').length + (detail.length - findings.length);
  const variables = `${count} variable${count === 1 ? '' : 's'}`;
  if (warnings === 0) {
    return { status: 'ok', summary: `${file.path} (${variables})`, ...(detail.length > 0 ? { detail } : {}) };
  }
  return {
    status: 'warn',
    summary: `${file.path} (${variables}): ${warnings} thing${warnings === 1 ? '' : 's'} to fix`,
    detail,
    fix: `Edit ${file.path} at the lines above: one KEY=value per line, no spaces around =, quotes closed on the same line, each key once, names as in .env.example.`,
  };
}

/** The 1-based line where `key` is first assigned. */
function lineOfKey(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const index = text.split(/\r?\n/).findIndex((line) => new RegExp(`^\\s*(?:export\\s+)?${escaped}\\s*[=:]`).test(line));
  return index >= 0 ? index + 1 : undefined;
}
