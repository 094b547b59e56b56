import { describe, expect, test } from 'bun:test'
import { Semaphore } from '../../src/preprocessing/semaphore'

describe('Semaphore', () => {
  test('runs at most `limit` tasks at once, the rest in arrival order', async () => {
    const semaphore = new Semaphore(2)
    const releases: Array<() => void> = []
    const started: number[] = []
    const tasks = [0, 1, 2, 3].map((i) =>
      semaphore.run(async () => {
        started.push(i)
        await new Promise<void>((resolve) => releases.push(resolve))
        return i
      })
    )
    await Promise.resolve()
    expect(started).toEqual([0, 1])
    expect([semaphore.running, semaphore.queued]).toEqual([2, 2])
    releases[0]!()
    await tasks[0]
    await Promise.resolve()
    expect(started).toEqual([0, 1, 2])
    releases[1]!()
    releases[2]!()
    await Promise.all([tasks[1], tasks[2]])
    await Promise.resolve()
    releases[3]!()
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3])
    expect([semaphore.running, semaphore.queued]).toEqual([0, 0])
  })

  test('a failing task frees its slot', async () => {
    const semaphore = new Semaphore(1)
    await expect(semaphore.run(() => Promise.reject(new Error('bad image')))).rejects.toThrow('bad image')
    expect(await semaphore.run(async () => 'next')).toBe('next')
  })

  test('a waiting interactive task goes before every background task that waited longer', async () => {
    const semaphore = new Semaphore(1)
    const order: string[] = []
    let release!: () => void
    const first = semaphore.run(() => new Promise<void>((resolve) => (release = resolve)))
    const job = semaphore.run(async () => void order.push('background'), 'background')
    const request = semaphore.run(async () => void order.push('interactive'))
    release()
    await Promise.all([first, job, request])
    expect(order).toEqual(['interactive', 'background'])
  })
})
