import { describe, expect, test } from 'bun:test'
import { BUDGET_CAP_BYTES, describeBudget, resolveBodyBudget, resolveClientShare, SMALL_BODY_BYTES } from '../../src/http/budget-size'
import { ByteBudget } from '../../src/http/byte-budget'

const MiB = 1024 * 1024

describe('ByteBudget', () => {
  test('reserves until the total, refuses beyond, and a release gives the bytes back', () => {
    const budget = new ByteBudget(100, 100)
    const a = budget.reserve(60)!
    expect(budget.reserve(50)).toBeUndefined()
    const b = budget.reserve(40)!
    expect(budget.usedBytes).toBe(100)
    a.release()
    a.release() // twice (decoded, then finally) counts once
    expect(budget.usedBytes).toBe(40)
    b.release()
    expect(budget.usedBytes).toBe(0)
  })

  test('a chunked body grows its reservation chunk by chunk; a failed grow takes nothing', () => {
    const budget = new ByteBudget(10, 10)
    const chunked = budget.reserve(0)!
    expect([chunked.grow(4), chunked.grow(4), chunked.grow(4)]).toEqual([true, true, false])
    expect(chunked.bytes).toBe(8)
    expect(budget.usedBytes).toBe(8)
    chunked.release()
    expect(chunked.grow(1)).toBe(false) // a released reservation stays released
    expect(budget.usedBytes).toBe(0)
  })

  test('large bodies leave a quarter for small ones, so a flood of large bodies cannot starve photos', () => {
    const budget = new ByteBudget(64 * MiB, 32 * MiB)
    expect(budget.largeLimitBytes).toBe(48 * MiB)
    const large = budget.reserve(30 * MiB)!
    expect(budget.reserve(30 * MiB)).toBeUndefined() // 60 MiB > 48 MiB
    const photos = Array.from({ length: 30 }, () => budget.reserve(SMALL_BODY_BYTES))
    expect(photos.every(Boolean)).toBe(true) // 30 + 30 MiB ≤ 64 MiB
    large.release()
    for (const photo of photos) photo!.release()
    expect(budget.usedBytes).toBe(0)
  })

  test('a chunked body that grows past the small size counts as large from then on', () => {
    const budget = new ByteBudget(8 * MiB, 4 * MiB)
    const filler = budget.reserve(5 * MiB)! // 5 of the 6 MiB large bodies may use
    const chunked = budget.reserve(0)!
    expect(chunked.grow(SMALL_BODY_BYTES)).toBe(true) // still small: may use the whole budget
    expect(chunked.grow(1)).toBe(false) // now large: 6 MiB + 1 > 6 MiB
    filler.release()
    chunked.release()
  })

  test('the small-body share never leaves too little room for one largest body', () => {
    expect(new ByteBudget(32 * MiB, 32 * MiB).largeLimitBytes).toBe(32 * MiB)
    expect(new ByteBudget(40 * MiB, 32 * MiB).reserve(32 * MiB)).toBeDefined()
  })
})

describe("one client's share of the budget", () => {
  test('slow uploads from one client hold at most its share; another client still gets the rest', () => {
    // 48 MiB budget (36 MiB for large bodies), share 17 MiB: the trickling client's second 15 MB body would
    // leave less than a share for everyone else.
    const budget = new ByteBudget(48 * MiB, 16 * MiB, undefined, 17 * MiB)
    const slow = Array.from({ length: 30 }, () => budget.admit(15_000_000, 'ip:slow'))
    expect(slow.filter((r) => typeof r !== 'string')).toHaveLength(1)
    expect(slow.filter((r) => r === 'client_share')).toHaveLength(29)
    expect(budget.admit(15_000_000, 'ip:good')).not.toBeTypeOf('string')
    expect(budget.clientShareRefusals).toBe(29)
    expect(budget.refusals).toBe(29)
  })

  test('beyond its share a client may still use room that leaves a share for others (a client alone is not capped at its share)', () => {
    const budget = new ByteBudget(100, 100, undefined, 30)
    const alone = [budget.admit(30, 'ip:a'), budget.admit(40, 'ip:a')] // 70 + a share of 30 ≤ 100
    expect(alone.every((r) => typeof r !== 'string')).toBe(true)
    expect(budget.admit(1, 'ip:a')).toBe('client_share')
    expect(budget.admit(30, 'ip:b')).not.toBeTypeOf('string') // within its own share: the room kept for it
    expect(budget.admit(1, 'ip:c')).toBe('budget')
  })

  test('releases give the client its share back; a chunked body grows within it', () => {
    const budget = new ByteBudget(100, 100, undefined, 30)
    const chunked = budget.reserve(0, 'ip:a')!
    expect([chunked.grow(20), chunked.grow(10), chunked.grow(50), chunked.refusal]).toEqual([true, true, false, 'client_share'])
    chunked.release()
    expect(budget.reserve(30, 'ip:a')?.bytes).toBe(30)
  })

  test('a share as large as the budget is no share: no client identity is needed', () => {
    expect(new ByteBudget(100, 100).sharesByClient).toBe(false)
    expect(new ByteBudget(100, 100, undefined, 500).sharesByClient).toBe(false)
    expect(new ByteBudget(100, 100, undefined, 50).sharesByClient).toBe(true)
  })

  const shares: [string, number, number, number][] = [
    ['default budget: one largest image and a small body', 96 * MiB, 32 * MiB, 17 * MiB],
    ['a budget far above the largest image: still one image', 400 * MiB, 32 * MiB, 17 * MiB],
    ['a smaller budget: at most a quarter of it', 48 * MiB, 8 * MiB, 12 * MiB],
    ['a budget that must leave a lone client its largest body: what is left beside it', 64 * MiB, 32 * MiB, 16 * MiB],
    ['a budget at its floor: no share (a largest body needs all the large-body room)', 12 * MiB, 9 * MiB, 12 * MiB]
  ]
  for (const [name, budget, maxBody, share] of shares)
    test(name, () => expect(resolveClientShare({ maxBodyBytes: maxBody, maxImageBytes: 16 * MiB }, budget)).toBe(share))

  test('a configured share is used, capped at the budget, unless a client alone could never send a largest body', () => {
    const limits = { maxBodyBytes: 32 * MiB, maxImageBytes: 16 * MiB }
    expect(resolveClientShare({ ...limits, bodyBudgetPerClientBytes: 40 * MiB }, 96 * MiB)).toBe(40 * MiB)
    expect(resolveClientShare({ ...limits, bodyBudgetPerClientBytes: 200 * MiB }, 96 * MiB)).toBe(96 * MiB)
    expect(resolveClientShare({ ...limits, bodyBudgetPerClientBytes: MiB }, 96 * MiB)).toBe(MiB)
    // 72 MiB for large bodies: beyond a 20 MiB share a client alone has 52, enough; beyond 41 MiB only 31, and 32 MiB is not within it.
    expect(resolveClientShare({ ...limits, bodyBudgetPerClientBytes: 20 * MiB }, 96 * MiB)).toBe(20 * MiB)
    expect(() => resolveClientShare({ ...limits, bodyBudgetPerClientBytes: 31 * MiB }, 96 * MiB)).not.toThrow()
    expect(() => resolveClientShare({ ...limits, bodyBudgetPerClientBytes: 41 * MiB }, 96 * MiB)).not.toThrow()
    expect(() => resolveClientShare({ ...limits, bodyBudgetPerClientBytes: 41 * MiB }, 64 * MiB)).not.toThrow()
    expect(() => resolveClientShare({ ...limits, bodyBudgetPerClientBytes: 20 * MiB }, 64 * MiB)).toThrow(
      /BUN_INFER_BODY_BUDGET_PER_CLIENT_BYTES=.*could never send a largest body/
    )
  })

  test('with the defaults a client alone uses most of the large-body room, and another still sends a largest image', () => {
    const limits = { maxBodyBytes: 32 * MiB, maxImageBytes: 16 * MiB }
    const budget = new ByteBudget(96 * MiB, 32 * MiB, undefined, resolveClientShare(limits, 96 * MiB))
    const camera = 2.5 * MiB // a 14.7 MP camera photo as base64 JSON
    const alone = Array.from({ length: 22 }, () => budget.admit(camera, 'ip:bulk'))
    expect(alone.every((r) => typeof r !== 'string')).toBe(true)
    expect(budget.admit(camera, 'ip:bulk')).toBe('client_share')
    expect(budget.admit(16 * MiB, 'ip:other')).not.toBeTypeOf('string')
  })
})

describe('resolveBodyBudget', () => {
  const memory = (bytes: number) => () => ({ bytes, source: 'cgroup v2' as const })

  test('a configured budget is used as it is', () => {
    expect(resolveBodyBudget({ bodyBudgetBytes: 50 * MiB, maxBodyBytes: 32 * MiB }, memory(1))).toEqual({ bytes: 50 * MiB })
    expect(describeBudget({ bytes: 50 * MiB })).toBe('BUN_INFER_BODY_BUDGET_BYTES')
  })
  test('a configured budget below the largest body stops startup', () => {
    expect(() => resolveBodyBudget({ bodyBudgetBytes: MiB, maxBodyBytes: 32 * MiB })).toThrow(
      /BUN_INFER_BODY_BUDGET_BYTES=.*below BUN_INFER_MAX_BODY_BYTES/
    )
  })
  const derived: [string, number, number][] = [
    ['512 MiB container: an eighth', 512 * MiB, 64 * MiB],
    ['24 GiB host: the cap', 24 * 1024 * MiB, BUDGET_CAP_BYTES],
    ['128 MiB container: still one largest body beside the small share', 128 * MiB, Math.ceil((32 * MiB) / 0.75)]
  ]
  for (const [name, limit, bytes] of derived)
    test(name, () => {
      const resolved = resolveBodyBudget({ bodyBudgetBytes: 0, maxBodyBytes: 32 * MiB }, memory(limit))
      expect(resolved.bytes).toBe(bytes)
      expect(describeBudget(resolved)).toContain(`cgroup v2 ${limit}`)
    })
  test('N server processes in one container (BUN_INFER_PROCESSES): each an Nth of what one would derive', () => {
    const resolved = resolveBodyBudget({ bodyBudgetBytes: 0, maxBodyBytes: 32 * MiB, processes: 2 }, memory(1024 * MiB))
    expect(resolved.bytes).toBe(64 * MiB)
    expect(describeBudget(resolved)).toBe('max(min(cgroup v2 1073741824 / 8 / 2 processes, 96 MiB), max body × 4/3)')
    // A configured budget is per process, as it says.
    expect(resolveBodyBudget({ bodyBudgetBytes: 50 * MiB, maxBodyBytes: 32 * MiB, processes: 2 }).bytes).toBe(50 * MiB)
  })
})
