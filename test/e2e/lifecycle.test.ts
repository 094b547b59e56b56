import { describe, expect, test } from 'bun:test'
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runToExit } from '../../tools/process/launch'
import { editManifest, tempModelRepo } from '../../tools/model-repo'
import { imageBytes, multipart, type ErrorJson } from '../helpers/requests'
import { startServerProcess } from '../helpers/server-process'

// What only a real process shows: it listens (and says so) before its models are loaded, and a model that
// onnxruntime cannot load stops it with one line on stderr and a non-zero exit. Drain on SIGTERM is in
// reliability.test.ts; the in-process contract of each state is in test/http.
describe('startup', () => {
  test('503 not_ready (predict and readiness) while models load, then 200', async () => {
    // Six copies of the model make loading take a second or more, so "loading" is observable without races.
    const repo = tempModelRepo((dir) => {
      for (let i = 0; i < 6; i++) {
        cpSync(join(dir, 'mobilenetv2'), join(dir, `copy${i}`), { recursive: true })
        editManifest(dir, `copy${i}`, (m) => (m.name = `copy${i}`))
      }
    })
    const server = await startServerProcess({ BUN_INFER_MODELS_DIR: repo.dir }, 'listening')
    try {
      const ready = await fetch(`${server.url}/health/ready`)
      expect(ready.status).toBe(503)
      expect(await ready.json()).toEqual({ status: 'starting' })
      const early = await fetch(`${server.url}/v1/predict`, {
        method: 'POST',
        body: multipart([{ bytes: await imageBytes('chelsea.jpg') }])
      })
      expect(early.status).toBe(503)
      expect(((await early.json()) as ErrorJson).error.code).toBe('not_ready')
      // Then it becomes ready by itself (a condition, bounded by the test timeout).
      while ((await fetch(`${server.url}/health/ready`)).status !== 200) await Bun.sleep(50)
    } finally {
      await server.stop()
      repo.dispose()
    }
  }, 60_000)

  test('a corrupt .onnx stops startup with exactly one line naming the file, and a non-zero exit', async () => {
    const repo = tempModelRepo((d) => writeFileSync(join(d, 'shufflenetv2/1/model.onnx'), 'not onnx'))
    try {
      const { code, stderr } = await runToExit({ env: { BUN_INFER_MODELS_DIR: repo.dir } })
      expect(code).toBe(1)
      // Exactly one line, and it names the file (a failure shows every line printed).
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/shufflenetv2\/1\/model\.onnx: cannot load as ONNX/)])
    } finally {
      repo.dispose()
    }
  })

  // A manifest that does not describe its graph: every worker checks it against the onnxruntime session.
  const mismatches: Array<[string, (m: Record<string, any>) => void, RegExp]> = [
    ['datatype', (m) => (m.input.datatype = 'float32'), /field "input\.datatype": manifest says float32, graph input "pixels" is uint8$/],
    [
      'layout',
      (m) => (m.input.layout = 'NCHW'),
      /field "input\.layout": manifest says NCHW \[3,192,192\], graph input "pixels" is \[N,192,192,3\]$/
    ]
  ]
  for (const [field, breakIt, message] of mismatches)
    test(`a manifest whose input ${field} is not the graph's stops startup with one line naming the model, field and the file's truth`, async () => {
      const repo = tempModelRepo((d) => editManifest(d, 'mobilenetv2-uint8-nhwc', breakIt))
      try {
        const { code, stderr } = await runToExit({ env: { BUN_INFER_MODELS_DIR: repo.dir } })
        expect(code).toBe(1)
        expect(stderr.trim().split('\n')).toEqual([
          expect.stringMatching(
            new RegExp(`mobilenetv2-uint8-nhwc/1/model\\.onnx \\(model\\.json of "mobilenetv2-uint8-nhwc:1"\\): ${message.source}`)
          )
        ])
      } finally {
        repo.dispose()
      }
    })
})
