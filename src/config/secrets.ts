import { ConfigSchema } from './schema'

const REDACTED = '<redacted>'

/** Settings marked `secret: true` in the schema: the one place that says which values are never shown. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(
  Object.entries(ConfigSchema.properties)
    .filter(([, schema]) => (schema as { secret?: unknown }).secret === true)
    .map(([field]) => field)
)

/**
 * A URL without its credentials (`redis://:***@cache:6379`), so an error still says which host was meant; a query
 * is dropped too, since some clients take `?password=` there. Undefined when the text is not a URL.
 */
export function redactedUrl(text: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || !URL.canParse(text)) return undefined
  const url = new URL(text)
  const credentials = url.username || url.password ? '***@' : ''
  const query = url.search ? '?***' : ''
  return `${url.protocol}//${credentials}${url.host}${url.pathname === '/' ? '' : url.pathname}${query}`
}

/** How a setting's value may appear in an error or a log: as JSON, unless it is a secret. */
export function shownValue(field: string, value: unknown): string {
  if (!SECRET_FIELDS.has(field)) return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.length} ${value.length === 1 ? 'value' : 'values'}, ${REDACTED}]`
  if (typeof value === 'string') return value === '' ? '""' : JSON.stringify(redactedUrl(value) ?? REDACTED)
  return REDACTED
}

/** Every secret text a config holds: each key, the whole URL and its password, each header value. */
function secretTexts(config: Record<string, unknown>): string[] {
  const texts: string[] = []
  for (const field of SECRET_FIELDS) {
    const value = config[field]
    for (const text of Array.isArray(value) ? value : [value]) {
      if (typeof text !== 'string' || text === '') continue
      texts.push(text)
      if (URL.canParse(text)) texts.push(...[new URL(text).password, new URL(text).username].filter((part) => part.length >= 4))
      for (const pair of text.split(',')) texts.push(pair.slice(pair.indexOf('=') + 1).trim())
    }
  }
  // Longest first, so a key is not half-replaced by a shorter secret inside it.
  return [...new Set(texts.filter((text) => text.length >= 4))].sort((a, b) => b.length - a.length)
}

/**
 * `message` with every secret of `config` in it replaced: the last guard, for a message built from a part
 * (a validator's or a library's words) that might quote a value.
 */
export function withoutSecrets(message: string, config: Record<string, unknown>): string {
  let out = message
  for (const text of secretTexts(config)) out = out.replaceAll(text, REDACTED)
  return out
}
