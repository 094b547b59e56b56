/**
 * Regenerates examples/typescript/schema.d.ts from the document the real server publishes:
 * `bun tools/openapi/generate-client.ts`. Starts the server in process on a free port, then stops it.
 */
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/log'
import { startServer } from '../../src/server'
import { GENERATED_TYPES, openapiTypes } from './openapi-types'

const server = await startServer(loadConfig({}, [], { port: 0, host: '127.0.0.1', workers: 1, logLevel: 'error' }), createLogger('error'))
try {
  const document = await (await fetch(`http://127.0.0.1:${server.port}/openapi.json`)).json()
  await Bun.write(GENERATED_TYPES, await openapiTypes(document))
  console.log(`wrote ${GENERATED_TYPES}`)
} finally {
  await server.stop()
}
