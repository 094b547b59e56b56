import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const MODELS_DIR = join(import.meta.dir, '../models')

/** A throw-away copy of the shipped model repository, edited by `edit`, removed by `dispose`. */
export function tempModelRepo(edit: (dir: string) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bun-infer-models-'))
  cpSync(MODELS_DIR, dir, { recursive: true })
  edit(dir)
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Rewrites models/<name>/model.json through `change`. */
export function editManifest(dir: string, name: string, change: (manifest: Record<string, any>) => void): void {
  const file = join(dir, name, 'model.json')
  const manifest = JSON.parse(readFileSync(file, 'utf8'))
  change(manifest)
  writeFileSync(file, JSON.stringify(manifest))
}
