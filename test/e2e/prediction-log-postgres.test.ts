import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { type PostgresServer, startPostgresServer } from '../../tools/process/postgres-server'
import { scrapedValue } from '../helpers/metrics'
import { imageBytes, multipart, type PredictBody } from '../helpers/requests'
import { startServerProcess } from '../helpers/server-process'
import { SteadyLoad } from '../helpers/steady-load'

// The prediction log in a real PostgreSQL, as replicas share it: the same guarantees as the embedded file (every
// image answered before SIGTERM is in it), and a database that goes away mid-load costs no request.
let pg: PostgresServer
beforeAll(async () => {
  pg = await startPostgresServer()
})
afterAll(async () => {
  await pg?.destroy()
})

const rowsOf = async (query: (sql: SQL) => Promise<unknown>) => {
  const sql = new SQL(pg.url)
  try {
    return (await query(sql)) as Array<Record<string, unknown>>
  } finally {
    await sql.close()
  }
}

describe('the prediction log in PostgreSQL', () => {
  test('two replicas write one log; every image answered before SIGTERM is in it with its label', async () => {
    const env = { BUN_INFER_PREDICTION_LOG: pg.url, BUN_INFER_MAX_CACHE_ENTRIES: '0', BUN_INFER_PREDICTION_LOG_FLUSH_MS: '60000' }
    const replicas = await Promise.all([startServerProcess(env), startServerProcess(env)])
    const cat = await imageBytes('chelsea.jpg')
    const answers: PredictBody[] = []
    try {
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          fetch(`${replicas[i % 2]!.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) })
        )
      )
      for (const response of responses) {
        expect(response.status).toBe(200)
        answers.push((await response.json()) as PredictBody)
      }
    } finally {
      for (const replica of replicas) expect(await replica.stop('SIGTERM')).toBe(0)
    }
    const rows = await rowsOf((sql) => sql`SELECT request_id, label, api FROM predictions`)
    expect(rows.map((r) => `${r.request_id}/${r.label}`).sort()).toEqual(
      answers.map((a) => `${a.metadata.request_id}/${a.predictions[0]![0]!.label}`).sort()
    )
  }, 60_000)

  test('PostgreSQL stopped mid-load: no request fails, records are dropped and counted, writing resumes after', async () => {
    await rowsOf((sql) => sql`DELETE FROM predictions`)
    const server = await startServerProcess({
      BUN_INFER_PREDICTION_LOG: pg.url,
      BUN_INFER_MAX_CACHE_ENTRIES: '0',
      BUN_INFER_PREDICTION_LOG_FLUSH_MS: '50'
    })
    const cat = await imageBytes('chelsea.jpg')
    const load = new SteadyLoad(3, () => fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart([{ bytes: cat }]) }))
    const written = () => scrapedValue(server.url, 'bun_infer_prediction_log_records_total{outcome="written"}')
    const dropped = () => scrapedValue(server.url, 'bun_infer_prediction_log_records_total{outcome="dropped_store_error"}')
    try {
      await load.more(10)
      while ((await written()) === 0) await load.more(3) // the first batch reached the database
      await pg.stop()
      while ((await dropped()) === 0) await load.more(3) // a write failed: its records were dropped and counted
      await load.more(10)
      await pg.start()
      const before = await written()
      while ((await written()) === before) await load.more(3) // writes resume on their own
    } finally {
      const results = await load.stop()
      expect(results.filter((r) => r.status !== 200)).toEqual([])
      expect(await server.stop('SIGTERM')).toBe(0)
    }
    const logged = Number((await rowsOf((sql) => sql`SELECT count(*) AS n FROM predictions`))[0]!.n)
    expect(logged).toBeGreaterThan(0)
    expect(logged).toBeLessThan(load.results.length) // some were dropped while the database was down
  }, 90_000)
})
