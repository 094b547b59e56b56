/**
 * Which methods a path answers to, from the app's own route table, so a known path asked with the
 * wrong method gets 405 with `Allow` (RFC 9110 §15.5.6) instead of 404. Indexed once the routes exist.
 */
export class AllowedMethods {
  private routes: Array<{ pattern: RegExp; method: string }> = []

  /** Takes Elysia's `app.routes` (method + path with `:param` segments) once every route is registered. */
  index(routes: ReadonlyArray<{ method: string; path: string }>): void {
    this.routes = routes
      .filter((route) => route.method !== 'ALL' && !route.path.includes('*'))
      .map((route) => ({ method: route.method.toUpperCase(), pattern: toPattern(route.path) }))
  }

  /** Methods registered for `path`, sorted; empty when no route has this path. */
  for(path: string): string[] {
    const methods = new Set(this.routes.filter((route) => route.pattern.test(path)).map((route) => route.method))
    return [...methods].sort()
  }
}

/** `/v1/models/:name/predict` → /^\/v1\/models\/[^/]+\/predict$/ */
function toPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
  return new RegExp(`^${source}$`)
}
