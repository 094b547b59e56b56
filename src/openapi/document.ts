import { RESPONSE_HEADERS, documentResponses } from './responses'
import { tidySchemas } from './tidy-schemas'

type Json = Record<string, unknown>

/**
 * The published OpenAPI document: the plugin's, with named component schemas, plain integers,
 * documented response headers, an example per error code, the licence and the server.
 */
export function publishedDocument(generated: Json): Json {
  const document = tidySchemas(generated)
  documentResponses(document.paths as Json)
  const components = document.components as Json
  return {
    ...document,
    info: { ...(document.info as Json), license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    // Relative: the document describes whichever host served it (behind a proxy, too).
    servers: [{ url: '/', description: 'The server that serves this document' }],
    components: { ...components, headers: RESPONSE_HEADERS }
  }
}
