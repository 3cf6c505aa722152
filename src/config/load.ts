import { settings, type Config, type Setting } from './schema.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Reads every setting from `env` (process.env by default), collects every problem at once and
 * throws a ConfigError naming each variable and what is wrong. The result is frozen.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') {
      config[name] = s.default;
      continue;
    }
    try {
      config[name] = s.parse(raw);
    } catch (error) {
      const message = (error as Error).message;
      // Messages that already quote the offending part need no echo; secrets are never echoed.
      const shown = s.secret || message.includes('"') ? '' : ` (got "${raw}")`;
      problems.push(`${s.env} ${message}${shown}`);
    }
  }
  for (const key of Object.keys(env)) {
    if (key.startsWith('HERALD_') && !/^HERALD_(TEST|BENCH)_/.test(key) && !Object.values(settings).some((s) => s.env === key)) {
      problems.push(`${key} is not a Herald setting (see \`herald config\` for the list)`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...config, ...overrides }) as Config;
}

/** The settings with their values, secrets masked: for logs and `herald config`. */
export function describeConfig(config: Config): { env: string; value: string; description: string }[] {
  return (Object.entries(settings) as [keyof Config, Setting<unknown>][]).map(([name, s]) => {
    const value = config[name];
    const shown = value === undefined ? '(unset)' : s.secret ? '(set)' : Array.isArray(value) ? value.join(',') : String(value);
    return { env: s.env, value: shown, description: s.description };
  });
}
