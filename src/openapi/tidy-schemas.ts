/**
 * Turns the schemas Elysia's OpenAPI plugin emits into ones that code generators type well:
 * named schemas (TypeBox `$id: '#/components/schemas/Name'`) become components with `$ref`s, and
 * Elysia's integer/number (which also accept numeric strings, for query strings) become plain numbers.
 */
type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

const COMPONENT_ID = /^#\/components\/schemas\/([A-Za-z0-9_]+)$/

/** `anyOf: [{ type: 'string', format: 'integer' }, { type: 'integer' }]` → `{ type: 'integer' }`, keeping the outer keywords. */
function collapseNumericString(node: Json): Json {
  const branches = node.anyOf
  if (!Array.isArray(branches) || branches.length !== 2) return node
  const numeric = branches.find((b) => isObject(b) && (b.type === 'integer' || b.type === 'number'))
  const asString = branches.find((b) => isObject(b) && b.type === 'string' && (b.format === 'integer' || b.format === 'numeric'))
  if (!numeric || !asString) return node
  const { anyOf: _, ...outer } = node
  return { ...(numeric as Json), ...outer }
}

/** Depth first, so nested named schemas are hoisted before the ones that hold them. */
function visit(node: unknown, components: Json): unknown {
  if (Array.isArray(node)) return node.map((item) => visit(item, components))
  if (!isObject(node)) return node
  let out: Json = {}
  for (const [key, value] of Object.entries(node)) out[key] = visit(value, components)
  out = collapseNumericString(out)
  const name = typeof out.$id === 'string' ? COMPONENT_ID.exec(out.$id)?.[1] : undefined
  if (!name) return out
  const { $id: _, ...schema } = out
  components[name] = schema
  return { $ref: `#/components/schemas/${name}` }
}

/** Returns a tidied copy of `document` (the plugin's object is cached and reused: never mutated here). */
export function tidySchemas(document: Json): Json {
  const components: Json = {}
  const tidied = visit(document, components) as Json
  const existing = isObject(tidied.components) ? tidied.components : {}
  const schemas = isObject(existing.schemas) ? existing.schemas : {}
  return { ...tidied, components: { ...existing, schemas: { ...schemas, ...components } } }
}
