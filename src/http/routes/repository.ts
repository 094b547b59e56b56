import { Elysia, t } from 'elysia'
import { AppError } from '../../errors'
import type { ModelRepository } from '../../models/repository'
import { V2ErrorSchema } from '../../v2/schemas'
import { keyMatcher, presentedKey } from '../plugins/auth'

/** Where the repository extension lives; the inference API keys' check leaves it to the admin key below. */
export const REPOSITORY_PREFIX = '/v2/repository'

const tags = ['v2 repository extension']
const Name = t.Object({ name: t.String({ examples: ['shufflenetv2'] }) })
const errors = Object.fromEntries([400, 401, 404].map((status) => [status, V2ErrorSchema]))
const Index = t.Array(
  t.Object({
    name: t.String(),
    version: t.Optional(t.String()),
    state: t.Union([t.Literal('READY'), t.Literal('UNAVAILABLE')]),
    reason: t.String()
  })
)

/**
 * The repository extension (POST index, load, unload), only when enabled, and only with an admin key
 * (`Authorization: Bearer` or `x-api-key`), never with an inference key. Errors are {"error": "…"}.
 */
export function repositoryRoutes(repository: ModelRepository | undefined, adminKeys: readonly string[]) {
  const plugin = new Elysia({ name: 'routes.repository' })
  if (!repository) return plugin
  if (adminKeys.length === 0)
    throw new Error('BUN_INFER_REPOSITORY_API needs BUN_INFER_ADMIN_KEYS: the repository extension is never open without a key')
  const isAdmin = keyMatcher(adminKeys)
  const requireAdmin = ({ request }: { request: Request }) => {
    const key = presentedKey(request)
    if (!key || !isAdmin(key))
      throw new AppError('unauthorized', 'the repository extension needs an admin key', {
        headers: { 'www-authenticate': 'Bearer realm="bun-infer-admin"' }
      })
  }
  return plugin.group(REPOSITORY_PREFIX, (group) =>
    group
      .onBeforeHandle(requireAdmin)
      .post('/index', () => repository.index(), {
        response: { 200: Index, ...errors },
        detail: { tags, summary: 'Every model folder of the repository, loaded (READY, one row per version) or not (UNAVAILABLE)' }
      })
      .post('/models/:name/load', async ({ params }) => (await repository.load(params.name), ''), {
        params: Name,
        detail: { tags, summary: 'Loads a model folder (every version) on every worker; a loaded model stays as it is' }
      })
      .post('/models/:name/unload', async ({ params }) => (await repository.unload(params.name), ''), {
        params: Name,
        detail: { tags, summary: 'Unloads a model: new requests get 404, accepted ones finish, then its sessions are freed' }
      })
  )
}
