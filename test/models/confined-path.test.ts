import { afterEach, describe, expect, test } from 'bun:test'
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { discoverModels, loadModelFolder } from '../../src/models/catalog'
import { editManifest, MODELS_DIR } from '../../tools/model-repo'

const overrides = { maxBatchSize: 0, maxBatchDelayMs: -1 }
const SHIPPED_LABELS = join(MODELS_DIR, 'shufflenetv2/labels.json')
const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/**
 * A repository made for the test: `repo/m` is a copy of the shipped shufflenetv2 folder named `m`, beside
 * `repo/outside.json`, a valid labels file that is not in the model's folder. `edit` gets the repo and the folder.
 */
function repoWith(edit: (repo: string, folder: string) => void): { repo: string; manifest: string } {
  const repo = mkdtempSync(join(tmpdir(), 'bun-infer-labels-'))
  made.push(repo)
  cpSync(join(MODELS_DIR, 'shufflenetv2'), join(repo, 'm'), { recursive: true })
  editManifest(repo, 'm', (m) => (m.name = 'm'))
  cpSync(SHIPPED_LABELS, join(repo, 'outside.json'))
  edit(repo, join(repo, 'm'))
  return { repo, manifest: join(repo, 'm', 'model.json') }
}

const setLabels = (repo: string, labels: string) => editManifest(repo, 'm', (m) => (m.labels = labels))

describe("a manifest's labels stay in its model folder", () => {
  const escapes: Array<[string, (repo: string, folder: string) => void, string]> = [
    ['.. to a file beside the folder', (repo) => setLabels(repo, '../outside.json'), 'leaves the model folder'],
    ['.. through a subfolder', (repo) => setLabels(repo, '1/../../outside.json'), 'leaves the model folder'],
    ['an absolute path, even to a real labels file', (repo) => setLabels(repo, SHIPPED_LABELS), 'not an absolute path'],
    [
      'labels.json a symlink to a file outside',
      (_, folder) => {
        rmSync(join(folder, 'labels.json'))
        symlinkSync(SHIPPED_LABELS, join(folder, 'labels.json'))
      },
      'leaves the model folder through a symlink'
    ],
    [
      'a subfolder that is a symlink to a folder outside',
      (repo, folder) => {
        symlinkSync(join(MODELS_DIR, 'shufflenetv2'), join(folder, 'data'))
        setLabels(repo, 'data/labels.json')
      },
      'leaves the model folder through a symlink'
    ],
    ['the folder itself', (repo) => setLabels(repo, '.'), 'leaves the model folder'],
    [
      'a folder inside',
      (repo, folder) => {
        mkdirSync(join(folder, 'labels.d'))
        setLabels(repo, 'labels.d')
      },
      'is not a regular file'
    ]
  ]
  for (const [name, edit, why] of escapes)
    test(`refused naming the manifest and the field: ${name}`, () => {
      const { repo, manifest } = repoWith(edit)
      const expected = `${manifest}: field "labels": `
      expect(() => discoverModels(repo, overrides)).toThrow(expected)
      expect(() => discoverModels(repo, overrides)).toThrow(why)
      // The repository extension's load reads a folder the same way.
      expect(() => loadModelFolder(repo, 'm', overrides)).toThrow(expected)
    })

  test('a dangling symlink is a missing file', () => {
    const { repo } = repoWith((_, folder) => {
      rmSync(join(folder, 'labels.json'))
      symlinkSync(join(folder, 'gone.json'), join(folder, 'labels.json'))
    })
    expect(() => discoverModels(repo, overrides)).toThrow(/field "labels": .*labels\.json does not exist/)
  })

  test('links that stay inside pass: a Kubernetes ConfigMap volume layout (..data → timestamped folder)', () => {
    const { repo } = repoWith((_, folder) => {
      mkdirSync(join(folder, '..2026_01_01'))
      renameSync(join(folder, 'labels.json'), join(folder, '..2026_01_01', 'labels.json'))
      symlinkSync('..2026_01_01', join(folder, '..data'))
      symlinkSync('..data/labels.json', join(folder, 'labels.json'))
    })
    const labels = discoverModels(repo, overrides).resolve('m').labels
    expect(labels.length).toBe(1000)
    expect(labels[285]).toBe('Egyptian Mau')
  })

  test('a model folder that is itself a symlink is confined to where it points', () => {
    const elsewhere = repoWith(() => {})
    const repo = mkdtempSync(join(tmpdir(), 'bun-infer-linked-'))
    made.push(repo)
    symlinkSync(join(elsewhere.repo, 'm'), join(repo, 'm'))
    expect(discoverModels(repo, overrides).resolve('m').labels.length).toBe(1000)
    // A relative link resolves from where the folder really is: beside it, so out of it.
    rmSync(join(elsewhere.repo, 'm', 'labels.json'))
    symlinkSync('../outside.json', join(elsewhere.repo, 'm', 'labels.json'))
    expect(() => discoverModels(repo, overrides)).toThrow('leaves the model folder through a symlink')
  })

  test('a labels file in a subfolder is inside', () => {
    const { repo } = repoWith((repo, folder) => {
      mkdirSync(join(folder, 'meta'))
      renameSync(join(folder, 'labels.json'), join(folder, 'meta', 'labels.json'))
      setLabels(repo, 'meta/../meta/labels.json')
    })
    expect(discoverModels(repo, overrides).resolve('m').labels.length).toBe(1000)
  })
})
