// The configuration as it is after a fix changed .env: the file read again, and the shell's values as they were
// (a fix never changes the environment), so nothing below the command line reads process.env.
import { buildConfig, ENV_KEYS, type Config } from '../../config/config.js';
import { readEnvFile } from '../../config/env-file.js';

/** The shell's values the config was built with: all of the environment a configuration reads. */
export function shellValues(config: Config): Record<string, string> {
  const shell: Record<string, string> = {};
  for (const key of ENV_KEYS) {
    const value = config.raw[key];
    if (config.sources[key] === 'process' && value !== undefined) shell[key] = value;
  }
  return shell;
}

export function reloadConfig(config: Config): Config {
  return buildConfig(readEnvFile(config.envFile.path, config.envFile.explicit), shellValues(config));
}
