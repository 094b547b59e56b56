import type Redis from 'ioredis'
import { JOB_STATUSES, type Job, type JobImage, type JobResult, type JobStatus } from './job'
import type { JobStore, ResultRow, SavedResult } from './store'

/** Result rows and image names read per round trip. */
const RANGE = 512

// Moves a job between statuses, with the sets that index it, if it is in one of the allowed ones.
// KEYS[1] job hash. ARGV: id, prefix, to, at, expiresMs or '', error or '', from...
const TRANSITION = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
local allowed = false
for i = 7, #ARGV do if ARGV[i] == status then allowed = true end end
if not allowed then return 0 end
local id, p, to = ARGV[1], ARGV[2], ARGV[3]
redis.call('HSET', KEYS[1], 'status', to)
if to == 'running' then redis.call('HSET', KEYS[1], 'startedMs', ARGV[4]) else redis.call('HSET', KEYS[1], 'finishedMs', ARGV[4]) end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'expiresMs', ARGV[5])
  redis.call('ZADD', p .. 'expiry', ARGV[5], id)
end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[6]) end
redis.call('SMOVE', p .. 'status:' .. status, p .. 'status:' .. to, id)
if to ~= 'queued' and to ~= 'running' then
  redis.call('ZREM', p .. 'unfinished', id)
  redis.call('SREM', p .. 'client:' .. redis.call('HGET', KEYS[1], 'client'), id)
end
return 1
`

// Writes an image's result once, counts it, drops the image's bytes, and completes the job with its last image. A job
// no longer queued or running (cancelled, failed) takes no result: what it holds is frozen when it finishes.
// KEYS[1] job hash, KEYS[2] results hash, KEYS[3] images hash. ARGV: index, line, counter, now, retentionMs, id, prefix.
const SAVE_RESULT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local status = redis.call('HGET', KEYS[1], 'status')
local written = 0
if status == 'queued' or status == 'running' then
  written = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
  if written == 1 then redis.call('HINCRBY', KEYS[1], ARGV[3], 1) end
end
redis.call('HDEL', KEYS[3], ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'status', 'done', 'failed', 'total', 'client')
if (f[1] == 'queued' or f[1] == 'running') and tonumber(f[2]) + tonumber(f[3]) == tonumber(f[4]) then
  local id, p = ARGV[6], ARGV[7]
  local expires = tonumber(ARGV[4]) + tonumber(ARGV[5])
  redis.call('HSET', KEYS[1], 'status', 'completed', 'finishedMs', ARGV[4], 'expiresMs', expires)
  redis.call('SMOVE', p .. 'status:' .. f[1], p .. 'status:completed', id)
  redis.call('ZREM', p .. 'unfinished', id)
  redis.call('ZADD', p .. 'expiry', expires, id)
  redis.call('SREM', p .. 'client:' .. f[5], id)
  redis.call('DEL', KEYS[3])
end
return {written, redis.call('HGETALL', KEYS[1])}
`

const numberOrNull = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value))

function toJob(fields: Record<string, string>): Job | undefined {
  if (!fields.id) return undefined
  return {
    id: fields.id,
    status: fields.status as JobStatus,
    model: fields.model!,
    version: fields.version!,
    topK: Number(fields.topK),
    total: Number(fields.total),
    done: Number(fields.done),
    failed: Number(fields.failed),
    client: fields.client!,
    createdMs: Number(fields.createdMs),
    startedMs: numberOrNull(fields.startedMs),
    finishedMs: numberOrNull(fields.finishedMs),
    expiresMs: numberOrNull(fields.expiresMs),
    error: fields.error || null
  }
}

/** A flat [field, value, …] reply as an object. */
const pairs = (flat: string[]) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]))

/** Indexes [from, to) in slices of RANGE, as strings for HMGET. */
function* slices(from: number, to: number): Generator<string[]> {
  for (let start = from; start < to; start += RANGE) yield Array.from({ length: Math.min(RANGE, to - start) }, (_, i) => String(start + i))
}

/**
 * The job store on Redis, shared by replicas: a hash per job (its fields and counts), a hash of its result
 * lines, a hash of its image names and sizes, and a hash of its image bytes until each has a result; sets and
 * sorted sets index jobs by status, client, creation and expiry. Every change that touches more than one key is
 * one Lua script, so replicas never see half of it. One Redis, not a cluster (the scripts name keys they compute).
 */
export class RedisJobStore implements JobStore {
  constructor(
    private readonly redis: Redis,
    private readonly retentionMs: number,
    /** Key prefix, ending with ':'. */
    private readonly prefix = 'bun-infer:jobs:'
  ) {}

  private key(id: string, part = ''): string {
    return `${this.prefix}job:${id}${part}`
  }

  /** The hash of a job's image bytes (the engine writes it before the job is created). */
  imagesKey(id: string): string {
    return this.key(id, ':images')
  }

  async create(job: Job, images: readonly JobImage[]): Promise<void> {
    const names = this.redis.pipeline()
    for (let i = 0; i < images.length; i += RANGE)
      names.hset(
        this.key(job.id, ':names'),
        Object.fromEntries(images.slice(i, i + RANGE).map((image) => [image.index, JSON.stringify([image.name, image.length])]))
      )
    await names.exec()
    const fields = { ...job, startedMs: '', finishedMs: '', expiresMs: '', error: '' }
    await this.redis
      .multi()
      .hset(this.key(job.id), fields as unknown as Record<string, string>)
      .sadd(`${this.prefix}status:${job.status}`, job.id)
      .zadd(`${this.prefix}unfinished`, job.createdMs, job.id)
      .sadd(`${this.prefix}client:${job.client}`, job.id)
      .exec()
  }

  async get(id: string): Promise<Job | undefined> {
    return toJob(await this.redis.hgetall(this.key(id)))
  }

  async unfinished(): Promise<Job[]> {
    const ids = await this.redis.zrange(`${this.prefix}unfinished`, 0, -1)
    const jobs = await Promise.all(ids.map((id) => this.get(id)))
    return jobs.filter((job) => job !== undefined)
  }

  async activeCount(client: string): Promise<number> {
    return this.redis.scard(`${this.prefix}client:${client}`)
  }

  async pendingImages(id: string, fromIndex: number, limit: number): Promise<JobImage[]> {
    const job = await this.get(id)
    if (!job) return []
    const pending: JobImage[] = []
    for (const indexes of slices(fromIndex, job.total)) {
      const [names, results] = await Promise.all([
        this.redis.hmget(this.key(id, ':names'), ...indexes),
        this.redis.hmget(this.key(id, ':results'), ...indexes)
      ])
      indexes.forEach((index, i) => {
        if (results[i] !== null || names[i] === null || pending.length >= limit) return
        const [name, length] = JSON.parse(names[i]!) as [string, number]
        pending.push({ index: Number(index), name, offset: 0, length })
      })
      if (pending.length >= limit) break
    }
    return pending
  }

  async hasResult(id: string, index: number): Promise<boolean> {
    return (await this.redis.hexists(this.key(id, ':results'), String(index))) === 1
  }

  async saveResult(id: string, result: JobResult): Promise<SavedResult> {
    const counter = 'error' in result ? 'failed' : 'done'
    const reply = (await this.redis.eval(
      SAVE_RESULT,
      3,
      this.key(id),
      this.key(id, ':results'),
      this.imagesKey(id),
      result.index,
      JSON.stringify(result),
      counter,
      Date.now(),
      this.retentionMs,
      id,
      this.prefix
    )) as [number, string[]] | null
    return reply ? { written: reply[0] === 1, job: toJob(pairs(reply[1])) } : { written: false, job: undefined }
  }

  async transition(
    id: string,
    from: readonly JobStatus[],
    status: JobStatus,
    at: number,
    expiresMs?: number,
    error?: string
  ): Promise<boolean> {
    const args = [id, this.prefix, status, at, expiresMs ?? '', error ?? '', ...from]
    return (await this.redis.eval(TRANSITION, 1, this.key(id), ...args)) === 1
  }

  async results(id: string, fromIndex: number, limit: number): Promise<ResultRow[]> {
    const total = Number(await this.redis.hget(this.key(id), 'total'))
    const rows: ResultRow[] = []
    for (const indexes of slices(fromIndex, Math.min(total, fromIndex + limit))) {
      const lines = await this.redis.hmget(this.key(id, ':results'), ...indexes)
      indexes.forEach((index, i) => rows.push({ index: Number(index), line: lines[i] ?? null }))
    }
    return rows
  }

  async expired(now: number): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.prefix}expiry`, '-inf', now)
  }

  async delete(id: string): Promise<void> {
    const job = await this.get(id)
    const multi = this.redis
      .multi()
      .del(this.key(id), this.key(id, ':results'), this.key(id, ':names'), this.imagesKey(id))
      .zrem(`${this.prefix}expiry`, id)
      .zrem(`${this.prefix}unfinished`, id)
    for (const status of JOB_STATUSES) multi.srem(`${this.prefix}status:${status}`, id)
    if (job) multi.srem(`${this.prefix}client:${job.client}`, id)
    await multi.exec()
  }

  async counts() {
    const cards = await Promise.all(JOB_STATUSES.map((status) => this.redis.scard(`${this.prefix}status:${status}`)))
    const byStatus = Object.fromEntries(JOB_STATUSES.map((status, i) => [status, cards[i]!])) as Record<JobStatus, number>
    const unfinished = await this.unfinished()
    return {
      byStatus,
      pendingImages: unfinished.reduce((sum, job) => sum + job.total - job.done - job.failed, 0),
      oldestUnfinishedMs: unfinished.length > 0 ? Math.min(...unfinished.map((job) => job.createdMs)) : null
    }
  }

  async close(): Promise<void> {
    // The connection is the engine's: it closes it.
  }
}
