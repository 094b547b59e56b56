import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listSupportedBackends } from 'onnxruntime-node'
import { checkExecutionProvider } from '../../src/inference/execution-provider'
import { runToExit, SERVER_CMD } from '../../tools/process/launch'

const dir = mkdtempSync(join(tmpdir(), 'providers-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
// What onnxruntime-node 1.30 reports on Linux x64: the CPU and WebGPU providers bundled, CUDA and TensorRT downloaded.
const LINUX = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false }
]

describe('BUN_INFER_EXECUTION_PROVIDER', () => {
  test('a bundled provider passes; the CPU passes without loading onnxruntime', async () => {
    await checkExecutionProvider('cpu')
    await checkExecutionProvider('webgpu', LINUX, dir)
  })

  test('CUDA without its downloaded library stops with what is missing and how to get it; with it, passes', async () => {
    const refused = checkExecutionProvider('cuda', LINUX, dir)
    await expect(refused).rejects.toThrow(
      /no cuda provider .*libonnxruntime_providers_cuda\.so is missing.*ONNXRUNTIME_NODE_INSTALL=cuda12/
    )
    writeFileSync(join(dir, 'libonnxruntime_providers_cuda.so'), '')
    await checkExecutionProvider('cuda', LINUX, dir)
  })

  test('a provider the platform does not offer names the ones it does', async () => {
    await expect(checkExecutionProvider('tensorrt', [{ name: 'cpu', bundled: true }], dir)).rejects.toThrow(
      /offers cpu on .*, not tensorrt/
    )
  })

  test('this install, as bun install leaves it: cuda stops the server at startup, never a silent CPU run', async () => {
    const cuda = listSupportedBackends().find((b) => b.name === 'cuda')
    if (cuda?.bundled) return // an install that has it: nothing to refuse
    const run = await runToExit({ cmd: SERVER_CMD, env: { BUN_INFER_EXECUTION_PROVIDER: 'cuda' }, timeoutMs: 30_000 })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('bun-infer: cannot start: BUN_INFER_EXECUTION_PROVIDER=cuda')
  })
})
