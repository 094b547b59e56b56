import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { envName } from '../src/config/load'
import { ConfigSchema } from '../src/config/schema'
import { ERROR_CATALOGUE } from '../src/errors'

const readme = await Bun.file(join(import.meta.dir, '../README.md')).text()

describe('README stays true', () => {
  test('documents every error code with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) expect(readme).toContain(`| ${status} | \`${code}\` |`)
  })

  test('documents every setting with its default', () => {
    for (const [field, schema] of Object.entries(ConfigSchema.properties)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${envName(field)}\` |`))
      expect(row, envName(field)).toBeDefined()
      const def = (schema as { default: unknown }).default
      const shown = Array.isArray(def) && def.length === 0 ? '(empty)' : `\`${Array.isArray(def) ? def.join(',') : String(def)}\``
      expect(row!.split('|')[2]!.trim()).toBe(shown)
    }
  })
})
