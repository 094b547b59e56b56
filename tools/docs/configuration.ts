/**
 * Renders docs/configuration.md from the config schema (src/config/schema.ts): every setting with its variable,
 * default, accepted values and meaning, in the sections of configuration-groups.ts, after a hand-written introduction.
 *
 *   bun tools/docs/configuration.ts           writes the page
 *   bun tools/docs/configuration.ts --check   exits 1 when the committed page differs from the render
 */
import { join } from 'node:path'
import { CLI_FIELDS, envName, kebab, RENAMED_ENV } from '../../src/config/load'
import { ConfigSchema } from '../../src/config/schema'
import { SECRET_FIELDS } from '../../src/config/secrets'
import { STANDARD_FALLBACKS } from '../../src/config/standard-env'
import { CONVENTIONAL, type Field, GROUPS } from './configuration-groups'
import { asMarkdown, table, writeOrCheck } from './markdown'

export const CONFIGURATION_PAGE = join(import.meta.dir, '../../docs/configuration.md')

interface FieldSchema {
  type?: string
  default: unknown
  description?: string
  minimum?: number
  maximum?: number
  anyOf?: Array<Partial<FieldSchema> & { const?: unknown }>
}
const schemaOf = (field: string) => (ConfigSchema.properties as Record<string, FieldSchema>)[field]!

/** The default as the tables show it: `(empty)` for an empty list, else the value in backticks. */
export function shownDefault(value: unknown): string {
  if ((Array.isArray(value) && value.length === 0) || value === '') return '(empty)'
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``
}

/** The values a setting accepts, from its schema. */
function accepts(schema: Partial<FieldSchema>): string {
  // A choice of words (`cpu`, `cuda`), or a number or a word (`1`–`256`, `auto`).
  if (schema.anyOf) return schema.anyOf.map((option) => ('const' in option ? `\`${String(option.const)}\`` : accepts(option))).join(', ')
  if (schema.type === 'boolean') return '`true`, `false`'
  if (schema.type === 'array') return 'list'
  if (schema.type === 'string') return 'text'
  const kind = schema.type === 'integer' ? 'integer' : 'number'
  if (schema.maximum === undefined) return `${kind} ≥ ${schema.minimum}`
  return `${kind} ${schema.minimum}${schema.minimum! < 0 ? ' to ' : '–'}${schema.maximum}`
}

const MiB = 1024 * 1024

/** A default in bytes or milliseconds as a reader says it, when the digits alone are hard to read. */
function readable(field: string, value: unknown): string | undefined {
  if (typeof value !== 'number' || value <= 0) return undefined
  if (field.endsWith('Bytes') && value % MiB === 0) return `${value / MiB} MiB`
  if (field.endsWith('Ms') && value >= 60_000 && value % 60_000 === 0)
    return value % 3_600_000 === 0 ? `${value / 3_600_000} h` : `${value / 60_000} min`
  if (field.endsWith('Ms') && value >= 1000 && value % 1000 === 0) return `${value / 1000} s`
  return undefined
}

const FORMER_NAMES: ReadonlyMap<string, string> = new Map(Object.entries(RENAMED_ENV).map(([old, now]) => [now, old]))

/** The meaning cell: the schema's description, then what the other tables know about the setting. */
function meaning(field: Field): string {
  const schema = schemaOf(field)
  const notes: string[] = [asMarkdown(schema.description ?? '')]
  const plain = readable(field, schema.default)
  if (plain) notes.push(`Default: ${plain}.`)
  if ((CLI_FIELDS as readonly string[]).includes(field)) notes.push(`Flag: \`--${kebab(field)}\`.`)
  if (SECRET_FIELDS.has(field)) notes.push('Secret: never shown in a log or an error.')
  const former = FORMER_NAMES.get(envName(field))
  if (former) notes.push(`Formerly \`${former}\` (still read, with a warning).`)
  return notes.join(' ')
}

function settingsTables(): string {
  const grouped = GROUPS.flatMap((group) => group.fields) as string[]
  const missing = Object.keys(ConfigSchema.properties).filter((field) => !grouped.includes(field))
  const twice = grouped.filter((field, i) => grouped.indexOf(field) !== i)
  if (missing.length > 0 || twice.length > 0)
    throw new Error(`tools/docs/configuration.ts GROUPS: ungrouped ${missing.join(', ') || '-'}; listed twice ${twice.join(', ') || '-'}`)
  return GROUPS.map((group) => {
    const rows = group.fields.map((field) => [
      `\`${envName(field)}\``,
      shownDefault(schemaOf(field).default),
      accepts(schemaOf(field)),
      meaning(field)
    ])
    return `## ${group.title}\n\n${group.about}\n\n${table(['variable', 'default', 'accepts', 'meaning'], rows)}\n`
  }).join('\n')
}

function conventionalTable(): string {
  const fields = Object.keys(STANDARD_FALLBACKS)
  const named = Object.keys(CONVENTIONAL)
  if (fields.join() !== named.join())
    throw new Error(`tools/docs/configuration.ts CONVENTIONAL names ${named.join(', ')}; STANDARD_FALLBACKS has ${fields.join(', ')}`)
  return table(
    ['read', 'when this is unset'],
    fields.map((field) => [asMarkdown(CONVENTIONAL[field]!), `\`${envName(field)}\``])
  )
}

const renamedTable = () =>
  table(
    ['old name, still read', 'new name'],
    Object.entries(RENAMED_ENV).map(([old, now]) => [`\`${old}\``, `\`${now}\``])
  )

const flags = () => CLI_FIELDS.map((field) => `\`--${kebab(field)}\``).join(', ')
const secrets = () => [...SECRET_FIELDS].map((field) => `\`${envName(field)}\``).join(', ')

/** The whole page. */
export function renderConfiguration(): string {
  return `<!-- Generated by \`bun tools/docs/configuration.ts\` from src/config/schema.ts: edit the schema's descriptions (or the generator), not this file. -->

# Configuration

bun-infer takes every setting from an environment variable: \`BUN_INFER_\` and the setting's name, such as
\`BUN_INFER_WORKERS\`. Nothing needs to be set: the defaults serve \`models/\` on port 8080. This page lists every
setting; \`bun src/main.ts --help\` prints the same list with the defaults.

## Setting values

- **Order.** A setting takes its default, then the environment variable, then the command-line flag, if any.
  The flags, as \`--flag value\` or \`--flag=value\`: ${flags()}.
  \`--help\` prints the flags and every variable; \`--version\` prints the version.
- **Lists** (API keys, CORS origins, per-model values) are comma-separated; spaces around an entry are dropped.
- **An empty variable** counts as unset.

\`\`\`sh
BUN_INFER_WORKERS=4 BUN_INFER_MAX_QUEUE_IMAGES=512 bun src/main.ts --port 9000
\`\`\`

## Validation at startup

Every value is checked against the schema before a model loads. A bad value stops the server with one message
that names the variable and the rule it breaks, and exit status 2:

\`\`\`
$ BUN_INFER_PORT=80x bun src/main.ts
bun-infer: invalid config BUN_INFER_PORT="80x": Expected integer
\`\`\`

A check that involves a second setting or a file stops the server with \`bun-infer: cannot start: …\` and exit
status 1: for example \`BUN_INFER_REPOSITORY_API\` without \`BUN_INFER_ADMIN_KEYS\`, or \`BUN_INFER_BODY_BUDGET_BYTES\`
below \`BUN_INFER_MAX_BODY_BYTES\`.

A \`BUN_INFER_\` variable that is not a setting below (a typo, or a setting of another version) is named in a
warning at startup with the nearest known name; with \`--strict\` it stops startup (exit status 2):

\`\`\`
$ BUN_INFER_WORKER=4 bun src/main.ts --strict
bun-infer: unknown settings (--strict): BUN_INFER_WORKER (did you mean BUN_INFER_WORKERS?)
\`\`\`

## Conventional variables

When the \`BUN_INFER_\` variable is unset, the name other tools use is read instead: \`PORT\` as platforms such as
Cloud Run and Heroku set it, \`REDIS_URL\`, and OpenTelemetry's standard variables, so one collector configuration
serves every service of a cluster.

${conventionalTable()}

## Renamed settings

These were renamed in 0.2 (one order, max first; the watchdog named as one). The old names are still read for one
release, with a warning in the log, and lose to the new names when both are set.

${renamedTable()}

## Secret settings

These settings hold secrets: ${secrets()}. Their values are never written to a log or an error message: a bad
value is shown as \`<redacted>\`, a list by its length, and a URL by its host alone (\`redis://***@cache:6379\`).

${settingsTables()}`
}

if (
  import.meta.main &&
  !(await writeOrCheck(CONFIGURATION_PAGE, renderConfiguration(), 'bun tools/docs/configuration.ts', process.argv.slice(2)))
)
  process.exit(1)
