import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PostgresStore } from '../../src/prediction-log/postgres-store'
import { SqliteStore } from '../../src/prediction-log/sqlite-store'
import type { PredictionStore } from '../../src/prediction-log/store'
import { type PostgresServer, startPostgresServer } from '../../tools/process/postgres-server'
import { record } from '../helpers/prediction-record'

// One contract, two stores: the embedded SQLite file and PostgreSQL (a real server on a free port, started here).
let dir: string
let pg: PostgresServer
let databases = 0
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prediction-stores-'))
  pg = await startPostgresServer()
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await pg?.destroy()
})

/** A fresh, empty store of each kind, and a second handle on the same data (another process, another replica). */
const kinds: Array<[string, () => Promise<{ store: PredictionStore; again: () => Promise<PredictionStore> }>]> = [
  [
    'SQLite',
    async () => {
      const path = join(dir, `log-${++databases}`, 'nested', 'log.sqlite') // folders are created
      return { store: new SqliteStore(path), again: async () => new SqliteStore(path) }
    }
  ],
  [
    'PostgreSQL',
    async () => {
      const name = `log_${++databases}`
      const admin = new SQL(pg.url)
      await admin.unsafe(`CREATE DATABASE ${name}`)
      await admin.close()
      const url = pg.url.replace(/\/postgres$/, `/${name}`)
      return { store: await PostgresStore.open(url, 2), again: () => PostgresStore.open(url, 2) }
    }
  ]
]

for (const [kind, fresh] of kinds)
  describe(`the ${kind} prediction store`, () => {
    test('writes a batch in one go, and reads one model version back in time order', async () => {
      const { store } = await fresh()
      await store.write([
        record({ timeMs: 3_000, label: 'tabby cat', classIndex: 281 }),
        record({ timeMs: 2_000 }),
        record({ timeMs: 2_500, version: '2' }),
        record({ timeMs: 2_600, model: 'shufflenetv2' })
      ])
      expect(await store.count()).toBe(4)
      expect((await store.since('mobilenetv2', '1', 0)).map((p) => [p.timeMs, p.label])).toEqual([
        [2_000, 'Egyptian Mau'],
        [3_000, 'tabby cat']
      ])
      expect(await store.since('mobilenetv2', undefined, 2_400)).toHaveLength(2)
      expect((await store.since('mobilenetv2', '1', 2_001))[0]).toEqual({
        timeMs: 3_000,
        requestId: 'r1',
        label: 'tabby cat',
        classIndex: 281,
        score: 0.7,
        totalMs: 15
      })
      await store.close()
    })

    test('the first n of a model version, in the order they were written: the drift reference', async () => {
      const { store } = await fresh()
      await store.write([record({ timeMs: 5, classIndex: 1 }), record({ timeMs: 1, classIndex: 2, version: '2' })])
      await store.write([record({ timeMs: 3, classIndex: 3 }), record({ timeMs: 9, classIndex: 4 })])
      expect((await store.first('mobilenetv2', '1', 2)).map((p) => p.classIndex)).toEqual([1, 3])
      expect(await store.first('mobilenetv2', '3', 2)).toEqual([])
      await store.close()
    })

    test('a null score and a null digest stay null', async () => {
      const { store } = await fresh()
      await store.write([record({ score: null, imageSha256: null })])
      expect((await store.since('mobilenetv2', '1', 0))[0]!.score).toBeNull()
      await store.close()
    })

    test('prunes by age, then the oldest beyond the record cap', async () => {
      const { store } = await fresh()
      await store.write(Array.from({ length: 10 }, (_, i) => record({ timeMs: i * 1_000 })))
      expect(await store.prune(3_000, 100)).toBe(3) // times 0, 1000, 2000
      expect(await store.prune(0, 4)).toBe(3) // 7 left, keep the newest 4
      expect((await store.since('mobilenetv2', '1', 0)).map((p) => p.timeMs)).toEqual([6_000, 7_000, 8_000, 9_000])
      await store.close()
    })

    test('a second handle on the same data sees what the first wrote, and opening again keeps the data', async () => {
      const { store, again } = await fresh()
      const second = await again()
      await store.write([record()])
      expect(await second.count()).toBe(1)
      await store.close()
      await second.close()
      const third = await again()
      expect(await third.count()).toBe(1)
      await third.close()
    })
  })

test('a PostgreSQL URL whose server does not answer fails to open, and its password never shows', async () => {
  const url = `postgres://postgres:s3cret-password@127.0.0.1:${pg.port + 1}/postgres`
  const opened = PostgresStore.open(url, 1)
  await expect(opened).rejects.toThrow()
  await opened.catch((error: Error) => expect(error.message).not.toContain('s3cret-password'))
})
