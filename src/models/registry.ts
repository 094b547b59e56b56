import { readdirSync, existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { validateManifest, type Manifest } from './manifest'

/** A model ready to be loaded by the workers and described by the API. */
export interface ModelSpec {
  readonly name: string
  readonly version: number
  /** Every numbered version folder found (serving several comes later). */
  readonly availableVersions: readonly number[]
  readonly modelPath: string
  readonly manifest: Manifest
  readonly labels: readonly string[]
  /** Floats per image: channels × height × width. */
  readonly inputElements: number
  readonly maxBatchSize: number
  readonly maxBatchDelayMs: number
}

export interface BatchingOverrides {
  /** 0 keeps the manifest value; otherwise caps it. */
  maxBatchSize: number
  /** -1 keeps the manifest value. */
  maxBatchDelayMs: number
}

function readLabels(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  if (file.endsWith('.json')) {
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string'))
      throw new Error(`${file}: must be a JSON array of strings`)
    return parsed
  }
  return text.split(/\r?\n/).filter((line) => line.trim() !== '')
}

function loadOne(dir: string, overrides: BatchingOverrides): ModelSpec {
  const manifestFile = join(dir, 'model.json')
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(manifestFile, 'utf8'))
  } catch (error) {
    throw new Error(`${manifestFile}: ${(error as Error).message}`)
  }
  const manifest = validateManifest(parsed, manifestFile)
  const folder = dir.split('/').pop()!
  if (manifest.name !== folder)
    throw new Error(`${manifestFile}: field "name": "${manifest.name}" must equal its folder name "${folder}"`)

  const versions = readdirSync(dir)
    .filter((entry) => /^[1-9][0-9]*$/.test(entry) && statSync(join(dir, entry)).isDirectory())
    .map(Number)
    .sort((a, b) => a - b)
  const version = manifest.version ?? versions.at(-1)
  if (version === undefined || !versions.includes(version))
    throw new Error(`${manifestFile}: field "version": no version folder ${version ?? '(any)'} with a model.onnx in ${dir}`)
  const modelPath = join(dir, String(version), 'model.onnx')
  if (!existsSync(modelPath)) throw new Error(`${modelPath}: missing (field "version" of ${manifestFile})`)

  const labelsFile = join(dir, manifest.labels)
  if (!existsSync(labelsFile)) throw new Error(`${manifestFile}: field "labels": ${labelsFile} does not exist`)
  const labels = readLabels(labelsFile)
  if (labels.length !== manifest.output.classes)
    throw new Error(`${manifestFile}: field "output.classes": ${manifest.output.classes} but ${labelsFile} has ${labels.length} labels`)

  const { maxBatchSize, maxBatchDelayMs } = manifest.batching
  return Object.freeze({
    name: manifest.name,
    version,
    availableVersions: versions,
    modelPath,
    manifest,
    labels,
    inputElements: manifest.input.channels * manifest.input.height * manifest.input.width,
    maxBatchSize: overrides.maxBatchSize > 0 ? Math.min(maxBatchSize, overrides.maxBatchSize) : maxBatchSize,
    maxBatchDelayMs: overrides.maxBatchDelayMs >= 0 ? overrides.maxBatchDelayMs : maxBatchDelayMs
  })
}

/** Reads every `<modelsDir>/<name>/model.json`. Any broken model stops startup with its file and field named. */
export function discoverModels(modelsDir: string, overrides: BatchingOverrides): Map<string, ModelSpec> {
  const root = resolve(modelsDir)
  if (!existsSync(root)) throw new Error(`models directory ${root} does not exist`)
  const models = new Map<string, ModelSpec>()
  for (const entry of readdirSync(root).sort()) {
    const dir = join(root, entry)
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'model.json'))) continue
    const spec = loadOne(dir, overrides)
    models.set(spec.name, spec)
  }
  if (models.size === 0) throw new Error(`no models found in ${root} (expected <name>/model.json)`)
  return models
}
