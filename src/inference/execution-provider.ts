import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { ExecutionProvider } from './providers'

type Backends = ReadonlyArray<{ name: string; bundled: boolean }>

/** The folder of onnxruntime-node's native binding: where the providers not bundled in the package are installed. */
function bindingDir(): string {
  const root = dirname(Bun.resolveSync('onnxruntime-node/package.json', import.meta.dir))
  return join(root, 'bin', 'napi-v6', process.platform, process.arch)
}

/**
 * Checks at startup that this install can run `provider`, so a server asked for CUDA never runs on the CPU in
 * silence: a provider onnxruntime-node does not offer on this platform, or one whose library its installer did not
 * download (`bun install` skips that download), stops startup with what to do.
 */
export async function checkExecutionProvider(provider: ExecutionProvider, backends?: Backends, dir: string = bindingDir()): Promise<void> {
  if (provider === 'cpu' && !backends) return // always there; and the main thread need not load onnxruntime for it
  // Loaded here only: the main thread otherwise never loads onnxruntime's native library (the workers do).
  backends ??= (await import('onnxruntime-node')).listSupportedBackends()
  const backend = backends.find((b) => b.name === provider)
  const platform = `${process.platform}/${process.arch}`
  if (!backend)
    throw new Error(
      `BUN_INFER_EXECUTION_PROVIDER=${provider}: onnxruntime-node offers ${backends.map((b) => b.name).join(', ')} on ${platform}, not ${provider}`
    )
  if (backend.bundled) return
  const library = join(dir, `libonnxruntime_providers_${provider}.so`)
  if (!existsSync(library))
    throw new Error(
      `BUN_INFER_EXECUTION_PROVIDER=${provider}: this install of onnxruntime-node has no ${provider} provider (${library} is missing: bun install skips its download). ` +
        'On a host with NVIDIA CUDA 12 and cuDNN 9, install it with: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js'
    )
}
