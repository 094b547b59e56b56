import { readdirSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff'])

/**
 * Files named on the command line, kept whatever their extension (the server sniffs the bytes, and a
 * file that is not a photo is reported as such), and photos found in named folders, recursively, sorted.
 * A path that does not exist is kept too: it fails as unreadable, in the summary, like any other file.
 */
export function expandPaths(paths: readonly string[]): string[] {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile() && PHOTO_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path)
    }
  }
  for (const path of paths) {
    let isDirectory = false
    try {
      isDirectory = statSync(path).isDirectory()
    } catch {}
    if (isDirectory) walk(path)
    else files.push(path)
  }
  return files
}
