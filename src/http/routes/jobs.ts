import { Elysia, t } from 'elysia'
import { AppError } from '../../errors'
import type { JobService } from '../../jobs/service'
import { jobView } from '../../jobs/view'
import type { Lifecycle } from '../../lifecycle'
import { errorResponses } from '../../schemas/errors'
import { MAX_TOP_K } from '../../top-k'
import { JobStatusBody, jobRequestBodyDoc, jobResultsDoc } from '../../schemas/jobs'
import { clientId } from '../client-id'
import type { TrustedProxies } from '../trusted-proxies'

export interface JobRoutesDeps {
  jobs: JobService
  lifecycle: Lifecycle
  proxies: TrustedProxies
}

const JobId = t.Object({ id: t.String({ description: 'The id POST /v1/jobs answered with.' }) })
const From = t.Object({
  from: t.Optional(t.Integer({ minimum: 0, description: 'First image index to return: resume a stream that was cut.' }))
})

/** POST /v1/jobs, GET /v1/jobs/:id, GET /v1/jobs/:id/results, DELETE /v1/jobs/:id. */
export function jobRoutes({ jobs, lifecycle, proxies }: JobRoutesDeps) {
  const clientOf = (request: Request, ip: string | undefined) => clientId(request, ip, proxies)
  return new Elysia({ name: 'routes.jobs' })
    .post(
      '/v1/jobs',
      async ({ request, server, query, set }) => {
        if (lifecycle.state === 'draining')
          throw new AppError('draining', 'the server is shutting down', { retryAfterSeconds: 1, headers: { connection: 'close' } })
        if (lifecycle.state !== 'ready') throw new AppError('not_ready', 'models are still loading', { retryAfterSeconds: 1 })
        // Counted as in flight: a drain waits for an upload to be stored, so a job is accepted whole or refused.
        lifecycle.begin()
        try {
          const job = await jobs.submit(request, { client: clientOf(request, server?.requestIP(request)?.address), query })
          set.status = 202
          set.headers.location = `/v1/jobs/${job.id}`
          return jobView(job)
        } finally {
          lifecycle.end()
        }
      },
      {
        parse: 'none',
        query: t.Object({
          model: t.Optional(t.String({ description: 'Model name (default: the default model); a form field may give it too.' })),
          version: t.Optional(t.String({ description: 'A version of the model.' })),
          top_k: t.Optional(
            t.String({ description: `Labels per image: a whole number from 1 to ${MAX_TOP_K}, at most the model's labels.` })
          )
        }),
        response: { 202: JobStatusBody, ...errorResponses(400, 401, 404, 408, 413, 415, 422, 429, 503) },
        detail: {
          tags: ['jobs'],
          summary: 'Submit a bulk job: many images, classified in the background',
          description:
            'The upload is written to disk as it arrives, indexed, and stored; the answer (202, Location) comes once the job is durable, ' +
            'so it completes even if the server restarts. Job images run with the capacity that requests leave: a request never waits ' +
            'behind more than one small batch of them.',
          requestBody: jobRequestBodyDoc as never
        }
      }
    )
    .get(
      '/v1/jobs/:id',
      async ({ request, server, params }) => jobView(await jobs.get(params.id, clientOf(request, server?.requestIP(request)?.address))),
      {
        params: JobId,
        response: { 200: JobStatusBody, ...errorResponses(401, 404) },
        detail: { tags: ['jobs'], summary: 'A job: status, counts, times and ETA' }
      }
    )
    .get(
      '/v1/jobs/:id/results',
      async ({ request, server, params, query }) => {
        const stream = await jobs.results(params.id, clientOf(request, server?.requestIP(request)?.address), query.from ?? 0)
        // A job that progresses slowly under load leaves the stream quiet: no idle timeout cuts it.
        server?.timeout(request, 0)
        return new Response(stream, { headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' } })
      },
      {
        params: JobId,
        query: From,
        detail: {
          tags: ['jobs'],
          summary: "A job's results, one NDJSON line per image in submission order",
          responses: { ...jobResultsDoc, 401: { description: 'Unauthorized' }, 404: { description: 'No such job' } } as never
        }
      }
    )
    .delete(
      '/v1/jobs/:id',
      async ({ request, server, params }) => jobView(await jobs.cancel(params.id, clientOf(request, server?.requestIP(request)?.address))),
      {
        params: JobId,
        response: { 200: JobStatusBody, ...errorResponses(401, 404) },
        detail: {
          tags: ['jobs'],
          summary: 'Cancel a job',
          description:
            'Its images without a result are never classified; the results made so far stay readable until it expires. A finished job is left as it is.'
        }
      }
    )
}
