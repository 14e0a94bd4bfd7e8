// Check 1: the .env file is there and readable, and says what the user meant (duplicates, quotes, spaces, CRLF…).
// Never prints a value: findings name keys and line numbers only.
import { dirname } from 'node:path';
import { ENV_KEYS, type Config, type EnvKey } from '../../config/config.js';
import { entriesFor, parseEnvDocument } from '../../config/env-document.js';
import type { EnvEdit } from '../../config/env-editor.js';
import type { AutoFix, Check, CheckResult } from '../check.js';
import { envEditFix } from '../fixes/env-edit-fix.js';
import { findStrayValues } from '../fixes/stray-quotes.js';
import { redactResult } from '../redact-result.js';
import { lintEnvText } from '../lint-env-file.js';
import { intendedVariable } from '../misnamed-variables.js';
import { envExamplePath } from '../../util/env-example.js';

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
        fix: `Check the path given to --env (it is relative to the current folder), or create the file from ${envExamplePath()}.`,
      };
    }
    if (fromProcess.length > 0) {
      return {
        status: 'warn',
        summary: `no .env in ${dirname(file.path)}; using ${fromProcess.length} variable${fromProcess.length === 1 ? '' : 's'} from the process environment`,
        fix: `That works (e.g. in a container or CI). To keep the settings with the project, copy ${envExamplePath()} to .env and fill it in, or pass --env PATH.`,
      };
    }
    return {
      status: 'fail',
      summary: `no .env in ${dirname(file.path)} and no voicebridge variables in the environment`,
      fix: `Run the doctor from the folder that holds your .env, or pass --env PATH; to start fresh, copy ${envExamplePath()} to .env and fill it in.`,
    };
  }
  if (file.error !== undefined) {
    return {
      status: 'fail',
      summary: `${file.path} cannot be read: ${file.error}`,
      fix: file.error === 'permission denied'
        ? `Give your user read access to it, e.g.: chmod 600 ${file.path}`
        : 'Point --env at the .env file itself.',
    };
  }

  if (file.encoding?.kind === 'utf-16') {
    return {
      status: 'fail',
      summary: `${file.path} is saved as UTF-16, so not one variable can be read from it`,
      fix: 'Save it as UTF-8: in Notepad, File > Save as, Encoding: UTF-8; in PowerShell, write it with Set-Content or Out-File -Encoding utf8 rather than >.',
    };
  }

  const text = file.text ?? '';
  const count = Object.keys(file.values).length;
  if (text.trim() === '') {
    return {
      status: 'warn',
      summary: `${file.path} is empty`,
      fix: `Copy ${envExamplePath()} into it and fill in the values.`,
    };
  }

  const findings = lintEnvText(text);
  if (file.encoding?.kind === 'not-utf-8') {
    findings.unshift({
      ...(file.encoding.line !== undefined ? { line: file.encoding.line } : {}),
      severity: 'warn',
      message:
        'this is not UTF-8 text (the file was saved as Latin-1 or Windows-1252), so its accented letters are read as �, and doctor --fix and ' +
        'create-assistant will not edit the file; save it as UTF-8',
    });
  }
  const detail = findings.map((finding) => (finding.line !== undefined ? `line ${finding.line}: ${finding.message}` : finding.message));
  const renames = new Map<string, EnvKey>();
  const claimed = new Map<EnvKey, number>();
  for (const key of Object.keys(file.values)) {
    const intended = intendedVariable(key);
    // Only when the intended variable is missing: a project may share its .env with another tool that reads that name.
    if (intended === undefined || config.raw[intended] !== undefined) continue;
    const line = lineOfKey(text, key);
    detail.push(`${line !== undefined ? `line ${line}: ` : ''}voicebridge does not read ${key}; rename it to ${intended}`);
    renames.set(key, intended);
    claimed.set(intended, (claimed.get(intended) ?? 0) + 1);
  }
  // Two names meant for the same variable: which one holds the right value is for the user to say.
  for (const [key, intended] of renames) if (claimed.get(intended)! > 1) renames.delete(key);
  const strays = findStrayValues(parseEnvDocument(text), config.sources);
  for (const stray of strays) {
    const alreadySaid = findings.some((finding) => finding.line === stray.line && finding.message.includes(`the value of ${stray.key} `));
    if (!alreadySaid) detail.push(`line ${stray.line}: the value of ${stray.key} ${stray.problem}`);
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
  const autoFixes = envFileFixes(config, strays.map((stray) => stray.key), renames);
  return {
    status: 'warn',
    summary: `${file.path} (${variables}): ${warnings} thing${warnings === 1 ? '' : 's'} to fix`,
    detail,
    fix: `Edit ${file.path} at the lines above: one KEY=value per line, no spaces around =, quotes closed on the same line, each key once, names as in .env.example.`,
    ...(autoFixes.length > 0 ? { autoFixes } : {}),
  };
}

/** The exact edits for what this check found: stray quotes and spaces stripped, misnamed variables renamed. */
function envFileFixes(config: Config, strayKeys: readonly EnvKey[], renames: ReadonlyMap<string, EnvKey>): AutoFix[] {
  const fixes: AutoFix[] = [];
  const envPath = config.envFile.path;
  if (strayKeys.length > 0) {
    fixes.push(
      envEditFix({
        id: 'env-file.strip-stray-quotes',
        description: `Strip the stray quotes and spaces from the value${strayKeys.length === 1 ? '' : 's'} of ${strayKeys.join(', ')}`,
        envPath,
        secrets: config.secrets,
        edits: (document) =>
          findStrayValues(document, config.sources)
            .filter((stray) => strayKeys.includes(stray.key))
            .map((stray): EnvEdit => ({ action: 'set', key: stray.key, value: stray.clean })),
      }),
    );
  }
  if (renames.size > 0) {
    const names = [...renames].map(([key, intended]) => `${key} to ${intended}`);
    fixes.push(
      envEditFix({
        id: 'env-file.rename-variables',
        description: `Rename ${names.join(', ')} (the names voicebridge reads), keeping the values`,
        envPath,
        secrets: config.secrets,
        edits: (document) =>
          [...renames]
            .filter(([key, intended]) => entriesFor(document, key).length > 0 && entriesFor(document, intended).length === 0)
            .map(([key, intended]): EnvEdit => ({ action: 'rename', key, to: intended })),
      }),
    );
  }
  return fixes;
}

/** The 1-based line where `key` is first assigned. */
function lineOfKey(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const index = text.split(/\r?\n/).findIndex((line) => new RegExp(`^\\s*(?:export\\s+)?${escaped}\\s*[=:]`).test(line));
  return index >= 0 ? index + 1 : undefined;
}
