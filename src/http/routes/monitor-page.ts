import { Elysia } from 'elysia'
import { dirname, join } from 'node:path'
import { AppError } from '../../errors'

/** The page's own files: plain HTML, CSS and JS, no build step. */
const PAGE_DIR = join(import.meta.dir, '../static/monitor')
const FILES = new Map([
  ['monitor.css', 'text/css; charset=utf-8'],
  ['monitor.js', 'text/javascript; charset=utf-8']
])
/** uPlot, from its npm package: served by this server, nothing loaded from elsewhere. */
const UPLOT_DIR = join(dirname(Bun.resolveSync('uplot/package.json', import.meta.dir)), 'dist')
const UPLOT = new Map([
  ['uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  ['uPlot.min.css', 'text/css; charset=utf-8']
])

/** Short caching: the files change only with a deploy, and a stale page would talk to a changed API. */
const CACHE = { 'cache-control': 'public, max-age=300' }

/** GET /monitor (the page), /monitor/:file (its CSS and JS) and /monitor/assets/:file (uPlot). */
export function monitorPageRoutes() {
  const detail = { hide: true }
  const file = (dir: string, types: Map<string, string>, name: string) => {
    const type = types.get(name)
    if (!type) throw new AppError('not_found', 'no such page asset')
    return new Response(Bun.file(join(dir, name)), { headers: { 'content-type': type, ...CACHE } })
  }
  return new Elysia({ name: 'routes.monitor-page' })
    .get(
      '/monitor',
      () => new Response(Bun.file(join(PAGE_DIR, 'index.html')), { headers: { 'content-type': 'text/html; charset=utf-8', ...CACHE } }),
      { detail }
    )
    .get('/monitor/:file', ({ params }) => file(PAGE_DIR, FILES, params.file), { detail })
    .get('/monitor/assets/:file', ({ params }) => file(UPLOT_DIR, UPLOT, params.file), { detail })
}
