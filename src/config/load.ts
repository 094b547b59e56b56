import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from './schema'
import { STANDARD_FALLBACKS } from './standard-env'
import { shownValue, withoutSecrets } from './secrets'
import { TrustedProxies } from '../http/trusted-proxies'

export const ENV_PREFIX = 'BUN_INFER_'

/** camelCase field → BUN_INFER_SNAKE_CASE env var. */
export function envName(field: string): string {
  return ENV_PREFIX + field.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()
}

/**
 * Settings renamed in 0.2 (one naming order: max first; a watchdog called a watchdog). The old variables are
 * still read for one release, with a warning, and lose to the new name when both are set.
 */
export const RENAMED_ENV: Readonly<Record<string, string>> = {
  BUN_INFER_CACHE_MAX_ENTRIES: 'BUN_INFER_MAX_CACHE_ENTRIES',
  BUN_INFER_CACHE_MAX_BYTES: 'BUN_INFER_MAX_CACHE_BYTES',
  BUN_INFER_BATCH_TIMEOUT_MS: 'BUN_INFER_BATCH_WATCHDOG_MS'
}

/** One warning per old variable name still in use. */
export function deprecationWarnings(env: Record<string, string | undefined>): string[] {
  return Object.entries(RENAMED_ENV)
    .filter(([old]) => env[old] !== undefined && env[old] !== '')
    .map(([old, now]) => `${old} is deprecated and will be removed in the next release; use ${now}`)
}

/** The environment with old names copied to their new ones (a new name already set wins). */
function withRenamed(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env }
  for (const [old, now] of Object.entries(RENAMED_ENV)) if (out[now] === undefined && out[old] !== undefined) out[now] = out[old]
  return out
}

/** CLI flags accepted, as --kebab-case or --kebab-case=value. */
export const CLI_FIELDS = ['host', 'port', 'modelsDir', 'defaultModel', 'workers', 'logLevel'] as const

export function kebab(field: string): string {
  return field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
}

function readCli(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) continue
    const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
    const field = CLI_FIELDS.find((f) => kebab(f) === flag)
    if (!field) throw new Error(`unknown flag --${flag} (known: ${CLI_FIELDS.map((f) => '--' + kebab(f)).join(', ')})`)
    const value = inline ?? argv[++i]
    if (value === undefined) throw new Error(`flag --${flag} needs a value`)
    out[field] = value
  }
  return out
}

/** Whether a setting is given (its variable set and not empty, or its flag), so its default is not in force. */
export function settingGiven(field: string, env: Record<string, string | undefined>, argv: readonly string[]): boolean {
  const flag = `--${kebab(field)}`
  return Boolean(env[envName(field)]) || argv.some((arg) => arg === flag || arg.startsWith(`${flag}=`))
}

/**
 * Builds the frozen config from defaults ← env ← CLI flags ← overrides (overrides are for tests).
 * Throws one message naming the variable and the rule it breaks, with secret values redacted (secrets.ts).
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  argv: readonly string[] = [],
  overrides: Partial<Config> = {}
): Readonly<Config> {
  env = withRenamed(env)
  const raw: Record<string, unknown> = {}
  for (const field of Object.keys(ConfigSchema.properties)) {
    const value = env[envName(field)]
    if (value !== undefined && value !== '') raw[field] = value
  }
  // Conventional variables (PORT, REDIS_URL, OTEL_*) are honoured when the prefixed one is not set.
  for (const [field, read] of Object.entries(STANDARD_FALLBACKS)) {
    const value = read(env)
    if (raw[field] === undefined && value) raw[field] = value
  }
  Object.assign(raw, readCli(argv))
  // List settings are comma-separated in the environment.
  for (const [field, schema] of Object.entries(ConfigSchema.properties))
    if (schema.type === 'array' && typeof raw[field] === 'string')
      raw[field] = (raw[field] as string)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
  // Env and flags are strings: convert numbers before checking, so "8080" passes and "80x" does not.
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw)) as Record<string, unknown>
  Object.assign(converted, overrides)
  const problem = configError(converted)
  // Config errors reach stderr and log collectors: no key, password or token goes with them.
  if (problem) throw new Error(withoutSecrets(problem, converted))
  return Object.freeze(converted as Config)
}

/** The first rule the config breaks, naming the variable (and, for a list, the entry), or undefined. */
function configError(config: Record<string, unknown>): string | undefined {
  const firstError = Value.Errors(ConfigSchema, config).First()
  if (firstError) {
    const [, field = '', entry] = firstError.path.split('/')
    const which = entry !== undefined && /^\d+$/.test(entry) ? ` (entry ${Number(entry) + 1})` : ''
    return `invalid config ${envName(field)}=${shownValue(field, config[field])}${which}: ${firstError.message}`
  }
  // Addresses are checked here, so a typo stops the process at startup with the variable's name.
  try {
    new TrustedProxies(config.trustedProxies as string[])
  } catch (error) {
    return `invalid config ${envName('trustedProxies')}: ${(error as Error).message}`
  }
  return undefined
}
