import { Elysia } from 'elysia'
import { join } from 'node:path'
import { AppError } from '../../errors'

/** The page's own files: plain HTML, CSS and JS, no build step. */
const STATIC_DIR = join(import.meta.dir, '../static')
const ASSETS = new Map([
  ['try-it.css', 'text/css; charset=utf-8'],
  ['try-it.js', 'text/javascript; charset=utf-8']
])
/** Two small photos so the page can be tried without one at hand. */
const SAMPLES = new Set(['chelsea.jpg', 'rocket.jpg'])

/** Short caching: the files change only with a deploy, and a stale page would talk to a changed API. */
const CACHE = { 'cache-control': 'public, max-age=300' }

/** GET / (the try-it page), /try-it/:file (its CSS and JS) and /samples/:file (sample photos). */
export function tryItRoutes() {
  const detail = { hide: true }
  return new Elysia({ name: 'routes.try-it' })
    .get(
      '/',
      () => new Response(Bun.file(join(STATIC_DIR, 'index.html')), { headers: { 'content-type': 'text/html; charset=utf-8', ...CACHE } }),
      { detail }
    )
    .get(
      '/try-it/:file',
      ({ params }) => {
        const type = ASSETS.get(params.file)
        if (!type) throw new AppError('not_found', 'no such page asset')
        return new Response(Bun.file(join(STATIC_DIR, params.file)), { headers: { 'content-type': type, ...CACHE } })
      },
      { detail }
    )
    .get(
      '/samples/:file',
      ({ params }) => {
        if (!SAMPLES.has(params.file)) throw new AppError('not_found', 'no such sample')
        return new Response(Bun.file(join(STATIC_DIR, 'samples', params.file)), { headers: { 'content-type': 'image/jpeg', ...CACHE } })
      },
      { detail }
    )
}
