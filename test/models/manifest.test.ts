import { describe, expect, test } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync, cpSync } from 'node:fs'
import { join } from 'node:path'
import { normalisationOf, validateManifest } from '../../src/models/manifest'
import { discoverModels } from '../../src/models/catalog'
import { editManifest, MODELS_DIR, tempModelRepo } from '../../tools/model-repo'

const noOverrides = { maxBatchSize: 0, maxBatchDelayMs: -1 }
const shipped = await Bun.file(join(MODELS_DIR, 'mobilenetv2/model.json')).json()

describe('validateManifest', () => {
  test('fills float32 and RGB for a manifest that names neither; raw pixels when normalisation is absent', () => {
    const manifest = validateManifest(shipped, 'model.json')
    expect([manifest.input.datatype, manifest.input.channelOrder]).toEqual(['float32', 'RGB'])
    const { scale, mean, std, ...raw } = shipped.preprocessing
    expect(normalisationOf(validateManifest({ ...shipped, preprocessing: raw }, 'model.json'))).toBeUndefined()
    expect(normalisationOf(manifest)).toEqual({ scale, mean, std })
  })

  test('accepts the shipped manifest and fills the kernel default', () => {
    const { kernel, ...pre } = shipped.preprocessing
    expect(validateManifest({ ...shipped, preprocessing: pre }, 'model.json').preprocessing.kernel).toBe('lanczos3')
  })

  const broken: Array<[string, (m: any) => void, string]> = [
    ['missing input name', (m) => delete m.input.name, 'input.name'],
    ['bad output kind', (m) => (m.output.kind = 'scores'), 'output.kind'],
    ['mean of two', (m) => (m.preprocessing.mean = [0.5, 0.5]), 'preprocessing.mean'],
    ['zero batch', (m) => (m.batching.maxBatchSize = 0), 'batching.maxBatchSize'],
    ['unknown field', (m) => (m.colour = 'blue'), 'colour'],
    ['name with a slash', (m) => (m.name = '../x'), 'name'],
    ['unknown layout', (m) => (m.input.layout = 'CHWN'), 'input.layout'],
    ['unknown datatype', (m) => (m.input.datatype = 'float16'), 'input.datatype'],
    ['unknown channel order', (m) => (m.input.channelOrder = 'GBR'), 'input.channelOrder'],
    ['mean without std', (m) => delete m.preprocessing.std, 'preprocessing'],
    ['normalising a uint8 input', (m) => (m.input.datatype = 'uint8'), 'preprocessing.scale'],
    ['zero instances', (m) => (m.instances = 0), 'instances']
  ]
  for (const [name, mutate, field] of broken)
    test(`names the field: ${name}`, () => {
      const manifest = structuredClone(shipped)
      mutate(manifest)
      expect(() => validateManifest(manifest, '/m/model.json')).toThrow(`/m/model.json: field "${field}`)
    })
})

describe('discoverModels', () => {
  test('instances come from the manifest; BUN_INFER_MODEL_INSTANCES (name=count, 0: every worker) overrides it', () => {
    const instances = (modelInstances?: string[]) => {
      const models = discoverModels(MODELS_DIR, { ...noOverrides, modelInstances })
      return models.names().map((name) => models.resolve(name).instances)
    }
    // The shipped manifests: the default model on every worker, the other two on one each.
    expect(instances()).toEqual([undefined, 1, 1])
    expect(instances(['shufflenetv2=0', 'mobilenetv2=1', 'mobilenetv2-uint8-nhwc=3', 'unknown=2'])).toEqual([1, 3, undefined])
  })

  test('finds every shipped model with its labels and highest version', () => {
    const models = discoverModels(MODELS_DIR, noOverrides)
    expect(models.names()).toEqual(['mobilenetv2', 'mobilenetv2-uint8-nhwc', 'shufflenetv2'])
    expect(models.resolve('mobilenetv2-uint8-nhwc').inputElements).toBe(192 * 192 * 3)
    const mobilenet = models.resolve('mobilenetv2')
    expect(mobilenet.version).toBe(1)
    expect(mobilenet.labels[285]).toBe('Egyptian Mau')
    expect(mobilenet.inputElements).toBe(3 * 224 * 224)
  })

  test('per-model batching from config replaces the settings for every model, for that model only', () => {
    const models = discoverModels(MODELS_DIR, {
      maxBatchSize: 4,
      maxBatchDelayMs: 0,
      modelMaxBatchSize: ['shufflenetv2=2', 'mobilenetv2-uint8-nhwc=64'],
      modelMaxBatchDelayMs: ['shufflenetv2=25']
    })
    const batching = (name: string) => [models.resolve(name).maxBatchSize, models.resolve(name).maxBatchDelayMs]
    expect(batching('mobilenetv2')).toEqual([4, 0]) // the settings for every model
    expect(batching('shufflenetv2')).toEqual([2, 25]) // its own
    expect(batching('mobilenetv2-uint8-nhwc')).toEqual([8, 0]) // never beyond the manifest's 8: the graph's limit
  })

  test('config overrides cap the batch size and set the delay', () => {
    const mobilenet = discoverModels(MODELS_DIR, { maxBatchSize: 4, maxBatchDelayMs: 0 }).resolve('mobilenetv2')
    expect([mobilenet.maxBatchSize, mobilenet.maxBatchDelayMs]).toEqual([4, 0])
  })

  test('a dropped-in classifier folder is enough to serve it', () => {
    const repo = tempModelRepo((dir) => {
      cpSync(join(dir, 'shufflenetv2'), join(dir, 'another'), { recursive: true })
      editManifest(dir, 'another', (m) => (m.name = 'another'))
    })
    try {
      expect(discoverModels(repo.dir, noOverrides).names()).toContain('another')
    } finally {
      repo.dispose()
    }
  })

  const failures: Array<[string, (dir: string) => void, RegExp]> = [
    ['bad JSON', (d) => writeFileSync(join(d, 'mobilenetv2/model.json'), '{ nope'), /mobilenetv2\/model\.json: /],
    ['name differs from folder', (d) => editManifest(d, 'mobilenetv2', (m) => (m.name = 'other')), /field "name"/],
    [
      'labels count differs',
      (d) => editManifest(d, 'mobilenetv2', (m) => (m.output.classes = 10)),
      /field "output.classes": 10 but .* 1000 labels/
    ],
    ['labels file missing', (d) => editManifest(d, 'mobilenetv2', (m) => (m.labels = 'gone.txt')), /field "labels"/],
    ['pinned version missing', (d) => editManifest(d, 'mobilenetv2', (m) => (m.version = 7)), /field "version"/],
    ['model.onnx missing', (d) => rmSync(join(d, 'mobilenetv2/1/model.onnx')), /1\/model\.onnx: missing/]
  ]
  for (const [name, breakIt, message] of failures)
    test(`stops startup naming the file and field: ${name}`, () => {
      const repo = tempModelRepo(breakIt)
      try {
        expect(() => discoverModels(repo.dir, noOverrides)).toThrow(message)
      } finally {
        repo.dispose()
      }
    })

  test('an empty repository is an error', () => {
    const repo = tempModelRepo((d) => {
      rmSync(join(d, 'mobilenetv2'), { recursive: true })
      rmSync(join(d, 'shufflenetv2'), { recursive: true })
      rmSync(join(d, 'mobilenetv2-uint8-nhwc'), { recursive: true })
      mkdirSync(join(d, 'empty'))
    })
    try {
      expect(() => discoverModels(repo.dir, noOverrides)).toThrow('no models found')
    } finally {
      repo.dispose()
    }
  })
})
