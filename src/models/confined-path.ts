import { existsSync, realpathSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'

/**
 * The real path of a file a manifest names (`field`, `value`) inside its model folder `dir`, or a throw naming the
 * manifest. Symlinks are followed before the check, so neither `..`, an absolute path nor a link pointing out of
 * the folder can make the server read (and serve back, as labels) a file the model folder does not hold. Links
 * that stay inside, such as a Kubernetes ConfigMap's `..data` ones, resolve and pass.
 */
export function fileInModelFolder(dir: string, manifestFile: string, field: string, value: string): string {
  const refuse = (why: string) => new Error(`${manifestFile}: field "${field}": ${JSON.stringify(value)} ${why}`)
  if (isAbsolute(value)) throw refuse('must be a path inside the model folder, not an absolute path')
  const named = join(dir, value)
  if (!isBelow(dir, named)) throw refuse('leaves the model folder; it must name a file inside it')
  if (!existsSync(named)) throw new Error(`${manifestFile}: field "${field}": ${named} does not exist`)
  const real = realpathSync(named)
  if (!isBelow(realpathSync(dir), real)) throw refuse('leaves the model folder through a symlink; it must name a file inside it')
  if (!statSync(real).isFile()) throw refuse('is not a regular file')
  return real
}

/** Whether `path` is strictly below `folder` (both absolute or both relative to the same place). */
function isBelow(folder: string, path: string): boolean {
  const inside = relative(folder, path)
  return inside !== '' && inside !== '..' && !inside.startsWith('..' + sep) && !isAbsolute(inside)
}
