import { describe, expect, test } from 'bun:test'
import { Counter, Registry } from 'prom-client'
import type { ChildMessage, SupervisorMessage } from '../../src/processes/protocol'
import { SupervisorLink } from '../../src/processes/supervised'

/** An IPC channel whose sent messages are kept, and through which the test plays the supervisor. */
function fakeChannel() {
  const sent: ChildMessage[] = []
  let deliver: (message: unknown) => void = () => {}
  return {
    sent,
    channel: {
      send: (message: ChildMessage) => sent.push(message),
      on: (_event: 'message', listener: (message: unknown) => void) => (deliver = listener)
    },
    fromSupervisor: (message: SupervisorMessage) => deliver(message),
    /** Lets the link's async handlers run (a turn of the event loop, as Elysia's after-response hooks need). */
    settle: () => new Promise<void>((resolve) => setImmediate(resolve))
  }
}

function registryCounting(requests: number) {
  const registry = new Registry()
  new Counter({ name: 'bun_infer_test_total', help: 'test', registers: [registry] }).inc(requests)
  return registry
}

describe("a server process's link to its supervisor", () => {
  test('reports listening and ready; readiness follows what the supervisor says of the container', () => {
    const fake = fakeChannel()
    const link = new SupervisorLink(1, fake.channel)
    expect(link.containerState()).toBe('starting')
    link.listening(4242)
    link.ready()
    expect(fake.sent).toEqual([{ type: 'listening', port: 4242 }, { type: 'ready' }])
    fake.fromSupervisor({ type: 'container', state: 'ready' })
    expect(link.containerState()).toBe('ready')
    fake.fromSupervisor({ type: 'container', state: 'degraded' })
    expect(link.containerState()).toBe('degraded')
  })

  test("answers a collect with its registry's metrics (empty before the server is assembled)", async () => {
    const fake = fakeChannel()
    const link = new SupervisorLink(0, fake.channel)
    fake.fromSupervisor({ type: 'collect', id: 7 })
    await fake.settle()
    expect(fake.sent).toEqual([{ type: 'collected', id: 7, metrics: [] }])
    link.attach(registryCounting(3))
    fake.fromSupervisor({ type: 'collect', id: 8 })
    await fake.settle()
    expect(fake.sent[1]).toMatchObject({ type: 'collected', id: 8, metrics: [{ name: 'bun_infer_test_total', values: [{ value: 3 }] }] })
  })

  test("a scrape serves the metrics the supervisor gathered (every process's, its own included)", async () => {
    const fake = fakeChannel()
    const link = new SupervisorLink(0, fake.channel)
    link.attach(registryCounting(3))
    const scrape = link.containerMetrics()
    expect(fake.sent).toEqual([{ type: 'gather', id: 0 }])
    // The supervisor asks this process too, then answers with everyone's.
    fake.fromSupervisor({ type: 'collect', id: 5 })
    await fake.settle()
    const own = (fake.sent[1] as Extract<ChildMessage, { type: 'collected' }>).metrics
    const other = await registryCounting(4).getMetricsAsJSON()
    fake.fromSupervisor({ type: 'gathered', id: 0, metrics: [own, other], counts: { configured: 2, ready: 2, scraped: 2, restarts: 0 } })
    const text = await scrape
    expect(text).toContain('bun_infer_test_total 7\n')
    expect(text).toContain('bun_infer_server_processes{state="scraped"} 2\n')
  })

  test('no answer from the supervisor in time: its own metrics alone, not a hung scrape', async () => {
    const fake = fakeChannel()
    const link = new SupervisorLink(0, fake.channel, false, 20)
    link.attach(registryCounting(3))
    const text = await link.containerMetrics()
    expect(text).toContain('bun_infer_test_total 3\n')
    expect(text).toContain('bun_infer_server_processes{state="scraped"} 1\n')
  })

  test('a closed channel (the supervisor is gone) does not throw into the server', async () => {
    const link = new SupervisorLink(
      0,
      {
        send: () => {
          throw new Error('channel closed')
        },
        on: () => {}
      },
      false,
      20
    )
    expect(() => link.ready()).not.toThrow()
    expect(await link.containerMetrics()).toContain('bun_infer_server_processes{state="scraped"} 1\n')
  })
})
