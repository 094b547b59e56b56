import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { modelFolders } from './catalog'

/** What the poller drives: the repository extension's load (a reload for a loaded model) and unload. */
export interface PolledRepository {
  load(name: string): Promise<void>
  unload(name: string): Promise<void>
}

export interface PollerOptions {
  modelsDir: string
  /** Models loaded now (the catalogue), so a folder that disappears is unloaded and a new one loaded. */
  loaded: () => string[]
  /** Never unloaded, even when its folder goes (the server serves it by default). */
  defaultModel: string
  onError: (name: string, action: 'load' | 'unload', message: string) => void
  onApplied?: (name: string, action: 'load' | 'unload') => void
}

/**
 * Watches the model repository by polling, as Triton's `--model-control-mode=poll` does (polling, not inotify:
 * it also sees mounted volumes and Kubernetes ConfigMap symlink swaps). Each model folder has a signature (its
 * manifest, labels and version folders with their model.onnx sizes and times); a folder whose signature changed
 * is acted on once the same signature is seen on two polls in a row, so a folder still being copied is left alone.
 * A new folder is loaded, a loaded model whose signature changed is reloaded (new version folders added, removed
 * ones drained and freed), a loaded model whose folder is gone is unloaded. A change that fails is logged and not
 * retried until the folder changes again.
 */
export class RepositoryPoller {
  /** Signature each folder had when last acted on (or when the poller started). */
  private readonly applied = new Map<string, string>()
  /** Signatures seen by the previous poll. */
  private previous = new Map<string, string>()
  private timer?: ReturnType<typeof setInterval>
  private running?: Promise<void>

  constructor(
    private readonly repository: PolledRepository,
    private readonly options: PollerOptions
  ) {
    // What is there at startup is what the server loaded: only changes from here on are applied.
    this.previous = scan(options.modelsDir)
    for (const [name, signature] of this.previous) if (options.loaded().includes(name)) this.applied.set(name, signature)
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.poll(), everyMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }

  /** One look at the folder; resolves once the changes it found are applied. Overlapping calls share one pass. */
  poll(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined))
    return this.running
  }

  private async pass(): Promise<void> {
    const now = scan(this.options.modelsDir)
    const stable = (name: string) => now.get(name) === this.previous.get(name)
    const loaded = new Set(this.options.loaded())
    for (const [name, signature] of now) {
      if (!stable(name) || this.applied.get(name) === signature) continue
      this.applied.set(name, signature)
      await this.apply(name, 'load')
    }
    for (const name of loaded)
      if (!now.has(name) && !this.previous.has(name) && name !== this.options.defaultModel && this.applied.has(name)) {
        this.applied.delete(name)
        await this.apply(name, 'unload')
      }
    this.previous = now
  }

  private async apply(name: string, action: 'load' | 'unload'): Promise<void> {
    try {
      await (action === 'load' ? this.repository.load(name) : this.repository.unload(name))
      this.options.onApplied?.(name, action)
    } catch (error) {
      this.options.onError(name, action, (error as Error).message)
    }
  }
}

/** name → signature of every model folder (the repository extension's: a valid name with a model.json). */
function scan(modelsDir: string): Map<string, string> {
  const root = resolve(modelsDir)
  let names: string[]
  try {
    names = modelFolders(root)
  } catch {
    names = [] // the directory itself is gone (or being replaced): no folders this poll
  }
  return new Map(names.map((name) => [name, signature(join(root, name))]))
}

function signature(dir: string): string {
  const stamp = (file: string) => {
    try {
      const s = statSync(file)
      return `${s.size}@${s.mtimeMs}`
    } catch {
      return '-'
    }
  }
  return safeList(dir)
    .sort()
    .map((entry) => {
      const path = join(dir, entry)
      return /^[1-9][0-9]*$/.test(entry) ? `${entry}/model.onnx:${stamp(join(path, 'model.onnx'))}` : `${entry}:${stamp(path)}`
    })
    .join('|')
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
