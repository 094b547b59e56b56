import { expect, test } from 'bun:test'
import { join } from 'node:path'
import pkg from '../package.json'

test("the project's own licence is at the root, and package.json names it", async () => {
  const text = await Bun.file(join(import.meta.dir, '../LICENSE')).text()
  expect(text).toContain('Apache License')
  expect(text).toContain('Version 2.0, January 2004')
  expect(pkg.license).toBe('Apache-2.0')
})
