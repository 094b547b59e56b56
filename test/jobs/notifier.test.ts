import { describe, expect, test } from 'bun:test'
import { JobNotifier } from '../../src/jobs/notifier'

describe('the job notifier', () => {
  test('a change wakes every reader of that job, and only of that job', async () => {
    const notifier = new JobNotifier(60_000)
    const never = new AbortController().signal
    const woken: string[] = []
    const a1 = notifier.changed('a', never).then(() => woken.push('a1'))
    const a2 = notifier.changed('a', never).then(() => woken.push('a2'))
    const b = new AbortController()
    const b1 = notifier.changed('b', b.signal).then(() => woken.push('b1'))
    notifier.notify('a')
    await Promise.all([a1, a2])
    expect(woken.sort()).toEqual(['a1', 'a2'])
    b.abort()
    await b1
    expect(notifier.jobsWaitedOn).toBe(0)
  })

  test('readers that time out on a job that never changes again leave nothing behind', async () => {
    const notifier = new JobNotifier(5)
    const never = new AbortController().signal
    await Promise.all(['x', 'y', 'x'].map((id) => notifier.changed(id, never)))
    expect(notifier.jobsWaitedOn).toBe(0)
  })
})
