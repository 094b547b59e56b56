import { Elysia } from 'elysia'
import { openapi } from '@elysiajs/openapi'
import { dirname, join } from 'node:path'
import { AppError, ERROR_CATALOGUE } from '../../errors'
import { publishedDocument } from '../../openapi/document'

/** Swagger UI's files, served by this server: no CDN, so the docs work on air-gapped clusters. */
const SWAGGER_DIR = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
const ASSETS = new Set(['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'])

/**
 * The plugin points Swagger UI at a relative `openapi.json`, which from /docs/ (trailing slash) means
 * /docs/openapi.json, a 404. Its options type hides `url`, but it spreads our options after its own.
 */
const ABSOLUTE_SPEC_URL = { url: '/openapi.json' }

const errorTable = Object.entries(ERROR_CATALOGUE)
  .map(([code, { status, description }]) => `| ${status} | \`${code}\` | ${description} |`)
  .join('\n')

/** /docs (Swagger UI, every asset local) and /openapi.json. */
export function docsRoutes(version: string) {
  // The plugin caches its document and hands back the same object: publish each one once.
  const published = new WeakMap<object, Record<string, unknown>>()
  return new Elysia({ name: 'routes.docs' })
    .onAfterHandle({ as: 'scoped' }, ({ path, responseValue }) => {
      if (path !== '/openapi.json' || typeof responseValue !== 'object' || responseValue === null) return
      let document = published.get(responseValue)
      if (!document) published.set(responseValue, (document = publishedDocument(responseValue as Record<string, unknown>)))
      return document
    })
    .use(
      openapi({
        path: '/docs',
        specPath: '/openapi.json',
        provider: 'swagger-ui',
        swagger: {
          cdn: '/docs/assets/swagger-ui-bundle.js',
          theme: '/docs/assets/swagger-ui.css',
          ...ABSOLUTE_SPEC_URL,
          autoDarkMode: false,
          deepLinking: true, // /docs#/predict/postV1Predict opens the upload form directly
          tryItOutEnabled: true
        },
        exclude: { paths: ['/docs/assets/:file'] },
        documentation: {
          info: {
            title: 'bun-infer',
            version,
            description:
              'Image classification over HTTP: send a photo, get ImageNet labels. Every error has the shape ' +
              '`{ "error": { "code", "message", "request_id" } }` with one of these stable codes:\n\n' +
              '| status | code | meaning |\n|---|---|---|\n' +
              errorTable
          },
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'Only when API keys are configured.' },
              apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Only when API keys are configured.' }
            }
          },
          security: [{}, { bearer: [] }, { apiKey: [] }],
          tags: [
            { name: 'predict', description: 'Classify images' },
            { name: 'jobs', description: 'Bulk jobs: many images, classified in the background' },
            { name: 'models', description: 'What is loaded' },
            { name: 'health', description: 'Probes and metrics' }
          ]
        }
      })
    )
    .get('/docs/assets/:file', ({ params }) => {
      if (!ASSETS.has(params.file)) throw new AppError('not_found', 'no such docs asset')
      return Bun.file(join(SWAGGER_DIR, params.file))
    })
}
