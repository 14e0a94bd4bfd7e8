// Loads the configuration for a command: the chosen .env file plus the process environment.
import { buildConfig, type Config } from './config.js';
import { DEFAULT_ENV_FILE } from './defaults.js';
import { readEnvFile } from './env-file.js';

export interface LoadConfigOptions {
  envFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const snapshot = readEnvFile(options.envFile ?? DEFAULT_ENV_FILE, options.envFile !== undefined, options.cwd);
  return buildConfig(snapshot, options.env ?? process.env);
}
