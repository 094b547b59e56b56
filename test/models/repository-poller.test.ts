import { afterEach, describe, expect, test } from 'bun:test'
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RepositoryPoller } from '../../src/models/repository-poller'
import { editManifest, tempModelRepo } from '../../tools/model-repo'

// The poller over a real copy of the model repository and a recording repository: each poll() is one look at the
// folder, so the tests drive time themselves (no timers).
const repos: Array<{ dispose(): void }> = []
afterEach(() => repos.splice(0).forEach((repo) => repo.dispose()))

function setup(failing: string[] = []) {
  const repo = tempModelRepo()
  repos.push(repo)
  const calls: string[] = []
  const errors: string[] = []
  const loaded = new Set(['mobilenetv2', 'mobilenetv2-uint8-nhwc', 'shufflenetv2'])
  const repository = {
    load: async (name: string) => {
      calls.push(`load ${name}`)
      if (failing.includes(name)) throw new Error(`${name} is broken`)
      loaded.add(name)
    },
    unload: async (name: string) => {
      calls.push(`unload ${name}`)
      loaded.delete(name)
    }
  }
  const poller = new RepositoryPoller(repository, {
    modelsDir: repo.dir,
    loaded: () => [...loaded],
    defaultModel: 'mobilenetv2',
    onError: (name, action, message) => errors.push(`${action} ${name}: ${message}`)
  })
  return { dir: repo.dir, calls, errors, poller }
}

/** A new model folder "extra": shufflenetv2's files under another name. */
function addExtra(dir: string) {
  cpSync(join(dir, 'shufflenetv2'), join(dir, 'extra'), { recursive: true })
  editManifest(dir, 'extra', (m) => (m.name = 'extra'))
}

describe('RepositoryPoller (model control by polling the folder)', () => {
  test('nothing changed: nothing happens', async () => {
    const { calls, poller } = setup()
    await poller.poll()
    await poller.poll()
    expect(calls).toEqual([])
  })

  test('a new folder loads once it has looked the same on two polls in a row', async () => {
    const { dir, calls, poller } = setup()
    addExtra(dir)
    await poller.poll() // seen once: maybe still being copied
    expect(calls).toEqual([])
    await poller.poll()
    expect(calls).toEqual(['load extra'])
    await poller.poll()
    expect(calls).toEqual(['load extra']) // applied once
  })

  test('a folder that keeps changing waits until it is still', async () => {
    const { dir, calls, poller } = setup()
    addExtra(dir)
    await poller.poll()
    writeFileSync(join(dir, 'extra', 'README'), 'still copying')
    await poller.poll()
    expect(calls).toEqual([])
    await poller.poll()
    expect(calls).toEqual(['load extra'])
  })

  test('a new version folder reloads the model; a removed folder unloads it, but never the default model', async () => {
    const { dir, calls, poller } = setup()
    cpSync(join(dir, 'mobilenetv2', '1'), join(dir, 'mobilenetv2', '2'), { recursive: true })
    rmSync(join(dir, 'shufflenetv2'), { recursive: true })
    await poller.poll()
    await poller.poll()
    expect(calls.sort()).toEqual(['load mobilenetv2', 'unload shufflenetv2'])
    rmSync(join(dir, 'mobilenetv2'), { recursive: true })
    await poller.poll()
    await poller.poll()
    expect(calls.filter((c) => c.startsWith('unload'))).toEqual(['unload shufflenetv2'])
  })

  test('a change that fails is reported and not retried until the folder changes again', async () => {
    const { dir, calls, errors, poller } = setup(['extra'])
    addExtra(dir)
    for (let i = 0; i < 4; i++) await poller.poll()
    expect(calls).toEqual(['load extra'])
    expect(errors).toEqual(['load extra: extra is broken'])
    editManifest(dir, 'extra', (m) => (m.description = 'fixed, perhaps'))
    await poller.poll()
    await poller.poll()
    expect(calls).toEqual(['load extra', 'load extra'])
  })
})
