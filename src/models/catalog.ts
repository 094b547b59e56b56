import { readdirSync, existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { modelFileDigest } from '../cache/model-digest'
import { AppError } from '../errors'
import { fileInModelFolder } from './confined-path'
import { validateManifest, type Manifest } from './manifest'

/** One servable version of a model: what the workers load and the API describes. */
export interface ModelSpec {
  /** `name:version`, the key of its queue and of its worker sessions. */
  readonly key: string
  readonly name: string
  readonly version: number
  readonly modelPath: string
  /** SHA-256 (hex) of model.onnx, read once at load: the result cache keys on it, not on name:version alone. */
  readonly modelDigest: string
  readonly manifest: Manifest
  readonly labels: readonly string[]
  /** Floats per image: channels × height × width. */
  readonly inputElements: number
  readonly maxBatchSize: number
  readonly maxBatchDelayMs: number
  /** Workers that hold a session of it; undefined: every worker (the pool caps it at its size). */
  readonly instances: number | undefined
}

export interface BatchingOverrides {
  /** 0 keeps the manifest value; otherwise caps it. */
  maxBatchSize: number
  /** -1 keeps the manifest value. */
  maxBatchDelayMs: number
  /** `name=count` per model, overriding the manifest's instances; count 0: every worker. */
  modelInstances?: readonly string[]
  /** `name=N` per model: its own batch size and window, over the manifest's (and over the settings above). */
  modelMaxBatchSize?: readonly string[]
  modelMaxBatchDelayMs?: readonly string[]
}

/** The value a `name=N` list gives this model (the last entry naming it wins), or undefined. */
function perModel(entries: readonly string[] | undefined, name: string): number | undefined {
  const entry = entries?.findLast((e) => e.slice(0, e.lastIndexOf('=')) === name)
  return entry === undefined ? undefined : Number(entry.slice(entry.lastIndexOf('=') + 1))
}

/** The instance count of a model: the config's `name=count` if it names the model, else the manifest's. */
function instancesOf(manifest: Manifest, overrides: BatchingOverrides): number | undefined {
  const count = perModel(overrides.modelInstances, manifest.name)
  if (count === undefined) return manifest.instances
  return count === 0 ? undefined : count
}

/**
 * A model's batching: the manifest's, capped (size) or replaced (window) by the settings for every model, and
 * replaced by the settings naming this model. A per-model batch size never exceeds the manifest's: that is what
 * the graph was exported for.
 */
function batchingOf(manifest: Manifest, overrides: BatchingOverrides): { maxBatchSize: number; maxBatchDelayMs: number } {
  const { maxBatchSize, maxBatchDelayMs } = manifest.batching
  const size = perModel(overrides.modelMaxBatchSize, manifest.name)
  const delay = perModel(overrides.modelMaxBatchDelayMs, manifest.name)
  const capped = overrides.maxBatchSize > 0 ? Math.min(maxBatchSize, overrides.maxBatchSize) : maxBatchSize
  return {
    maxBatchSize: size !== undefined ? Math.min(Math.max(size, 1), maxBatchSize) : capped,
    maxBatchDelayMs: delay ?? (overrides.maxBatchDelayMs >= 0 ? overrides.maxBatchDelayMs : maxBatchDelayMs)
  }
}

export interface ModelEntry {
  defaultVersion: number
  /** Ascending by version. */
  versions: ModelSpec[]
}

/** Every model and version found in the repository, with name/version resolution for the routes. */
export class ModelCatalog {
  constructor(private readonly entries: Map<string, ModelEntry>) {}

  /** Serves a model loaded at run time (the repository extension); replaces nothing: the name must be new. */
  add(name: string, entry: ModelEntry): void {
    if (this.entries.has(name)) throw new Error(`model ${name} is already in the catalog`)
    this.entries.set(name, entry)
  }

  /** Swaps a loaded model's versions and default at once (a reload); requests that resolved a spec keep it. */
  replace(name: string, entry: ModelEntry): void {
    if (!this.entries.has(name)) throw new Error(`model ${name} is not in the catalog`)
    this.entries.set(name, entry)
  }

  /** Stops resolving a model (new requests get 404); requests that resolved it already keep their spec. */
  remove(name: string): ModelEntry | undefined {
    const entry = this.entries.get(name)
    this.entries.delete(name)
    return entry
  }

  names(): string[] {
    return [...this.entries.keys()]
  }

  /** Every servable version of every model. */
  specs(): ModelSpec[] {
    return [...this.entries.values()].flatMap((entry) => entry.versions)
  }

  has(name: string): boolean {
    return this.entries.has(name)
  }

  versionsOf(name: string): ModelSpec[] {
    return this.entry(name).versions
  }

  /** The pinned version, or the model's default one; 404 for an unknown name or version. */
  resolve(name: string, version?: string): ModelSpec {
    const entry = this.entry(name)
    if (version === undefined) return entry.versions.find((v) => v.version === entry.defaultVersion)!
    const spec = /^[1-9][0-9]{0,8}$/.test(version) ? entry.versions.find((v) => v.version === Number(version)) : undefined
    if (!spec)
      throw new AppError(
        'model_version_not_found',
        `model ${name} has no version ${JSON.stringify(version.slice(0, 32))} (has ${entry.versions.map((v) => v.version).join(', ')})`
      )
    return spec
  }

  private entry(name: string): ModelEntry {
    const entry = this.entries.get(name)
    if (!entry) throw new AppError('model_not_found', `no model named ${JSON.stringify(name.slice(0, 128))}`)
    return entry
  }
}

/** Reads the labels at `real` (the resolved path); `file` is the path as the manifest names it, for its format and errors. */
function readLabels(file: string, real: string): string[] {
  const text = readFileSync(real, 'utf8')
  if (file.endsWith('.json')) {
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string')) throw new Error(`${file}: must be a JSON array of strings`)
    return parsed
  }
  return text.split(/\r?\n/).filter((line) => line.trim() !== '')
}

function loadOne(dir: string, overrides: BatchingOverrides): [string, ModelEntry] {
  const manifestFile = join(dir, 'model.json')
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(manifestFile, 'utf8'))
  } catch (error) {
    throw new Error(`${manifestFile}: ${(error as Error).message}`)
  }
  const manifest = validateManifest(parsed, manifestFile)
  const folder = dir.split('/').pop()!
  if (manifest.name !== folder) throw new Error(`${manifestFile}: field "name": "${manifest.name}" must equal its folder name "${folder}"`)

  // Every numbered folder holding a model.onnx is a version; the highest is the default unless pinned.
  const versions = readdirSync(dir)
    .filter((entry) => /^[1-9][0-9]*$/.test(entry) && statSync(join(dir, entry)).isDirectory())
    .map(Number)
    .sort((a, b) => a - b)
  for (const v of versions)
    if (!existsSync(join(dir, String(v), 'model.onnx')))
      throw new Error(`${join(dir, String(v), 'model.onnx')}: missing (version folder ${v} of ${manifest.name})`)
  const defaultVersion = manifest.version ?? versions.at(-1)
  if (defaultVersion === undefined || !versions.includes(defaultVersion))
    throw new Error(`${manifestFile}: field "version": no version folder ${defaultVersion ?? '(any)'} with a model.onnx in ${dir}`)

  const labelsFile = join(dir, manifest.labels)
  const labels = readLabels(labelsFile, fileInModelFolder(dir, manifestFile, 'labels', manifest.labels))
  if (labels.length !== manifest.output.classes)
    throw new Error(`${manifestFile}: field "output.classes": ${manifest.output.classes} but ${labelsFile} has ${labels.length} labels`)

  const batching = batchingOf(manifest, overrides)
  const specs = versions.map((version) =>
    Object.freeze({
      key: `${manifest.name}:${version}`,
      name: manifest.name,
      version,
      modelPath: join(dir, String(version), 'model.onnx'),
      modelDigest: modelFileDigest(join(dir, String(version), 'model.onnx')),
      manifest,
      labels,
      inputElements: manifest.input.channels * manifest.input.height * manifest.input.width,
      ...batching,
      instances: instancesOf(manifest, overrides)
    })
  )
  return [manifest.name, { defaultVersion, versions: specs }]
}

/** A model folder name the repository extension may load: the manifest's name rule, so never "..", "/" or "\\". */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/

/**
 * Reads one `<modelsDir>/<name>` folder (the repository extension's load). The name is checked before any
 * path is built, and the folder must resolve inside the models directory: nothing else can be loaded.
 */
export function loadModelFolder(modelsDir: string, name: string, overrides: BatchingOverrides): ModelEntry {
  const root = resolve(modelsDir)
  const dir = resolve(root, name)
  if (!MODEL_NAME.test(name) || name.includes('..') || dir !== join(root, name))
    throw new AppError('model_not_found', `${JSON.stringify(name.slice(0, 64))} is not a model folder name`)
  if (!existsSync(join(dir, 'model.json')))
    throw new AppError('model_not_found', `no model folder ${JSON.stringify(name)} in the repository`)
  return loadOne(dir, overrides)[1]
}

/** Names of the model folders in the repository (those with a model.json), loaded or not. */
export function modelFolders(modelsDir: string): string[] {
  const root = resolve(modelsDir)
  return readdirSync(root)
    .sort()
    .filter((name) => MODEL_NAME.test(name) && statSync(join(root, name)).isDirectory() && existsSync(join(root, name, 'model.json')))
}

/** Reads every `<modelsDir>/<name>/model.json`. Any broken model stops startup with its file and field named. */
export function discoverModels(modelsDir: string, overrides: BatchingOverrides): ModelCatalog {
  const root = resolve(modelsDir)
  if (!existsSync(root)) throw new Error(`models directory ${root} does not exist`)
  const entries = new Map<string, ModelEntry>()
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name)
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'model.json'))) continue
    const [modelName, entry] = loadOne(dir, overrides)
    entries.set(modelName, entry)
  }
  if (entries.size === 0) throw new Error(`no models found in ${root} (expected <name>/model.json)`)
  return new ModelCatalog(entries)
}
