import { CLI_FIELDS, envName, kebab } from './load'
import { ConfigSchema } from './schema'

type FieldSchema = { description?: string; default?: unknown }

const describe = (field: string) => (ConfigSchema.properties as Record<string, FieldSchema>)[field]!

const shownDefault = (value: unknown) => (Array.isArray(value) ? value.join(',') : String(value))

/** `bun src/main.ts --help`: flags, then every environment variable with its default, from the config schema. */
export function usage(version: string): string {
  const flags = CLI_FIELDS.map(
    (field) => `  --${kebab(field)} <value>`.padEnd(30) + `${describe(field).description ?? ''} (${envName(field)})`
  )
  const env = Object.keys(ConfigSchema.properties).map((field) => {
    const schema = describe(field)
    return `  ${envName(field)}=${shownDefault(schema.default)}\n      ${schema.description ?? ''}`
  })
  return [
    `bun-infer ${version}: image classification over HTTP (ONNX models, batched, on worker threads).`,
    '',
    'usage: bun src/main.ts [flags]',
    '',
    'flags (override the environment):',
    ...flags,
    '  --strict'.padEnd(30) + 'stop at startup when a BUN_INFER_ variable is not a known setting (else a warning)',
    '  --help'.padEnd(30) + 'print this and exit',
    '  --version'.padEnd(30) + 'print the version and exit',
    '',
    'environment (PORT, REDIS_URL and the standard OTEL_* variables are read when the BUN_INFER_ one is unset):',
    ...env,
    ''
  ].join('\n')
}
