import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { envName } from '../../src/config/load'
import { ConfigSchema } from '../../src/config/schema'
import { CONFIGURATION_PAGE, renderConfiguration, shownDefault } from '../../tools/docs/configuration'
import { asMarkdown as markdown, writeOrCheck } from '../../tools/docs/markdown'

const page = await Bun.file(CONFIGURATION_PAGE).text()

describe('docs/configuration.md', () => {
  test('is the render of the config schema (else: bun tools/docs/configuration.ts)', () => {
    expect(page).toBe(renderConfiguration())
  })

  test('documents every setting with its default', () => {
    const lines = page.split('\n')
    for (const [field, schema] of Object.entries(ConfigSchema.properties)) {
      const row = lines.find((line) => line.startsWith(`| \`${envName(field)}\` |`))
      expect(row, envName(field)).toBeDefined()
      expect(row!.split(' | ')[1], envName(field)).toBe(shownDefault((schema as { default: unknown }).default))
    }
  })

  test('shows an empty list or string as (empty), anything else in backticks', () => {
    expect([shownDefault([]), shownDefault(['/a', '/b']), shownDefault(0), shownDefault('')]).toEqual([
      '(empty)',
      '`/a,/b`',
      '`0`',
      '(empty)'
    ])
  })
})

describe('plain-text descriptions as Markdown', () => {
  test('sets names as code and keeps the punctuation around them outside', () => {
    expect(markdown('When unset, REDIS_URL is read (e.g. redis://u:p@host:6379).')).toBe(
      'When unset, `REDIS_URL` is read (e.g. `redis://u:p@host:6379`).'
    )
    expect(markdown('POST /v1/predict, the x-api-key header, model.json, name=N, top_k and Retry-After.')).toBe(
      'POST `/v1/predict`, the `x-api-key` header, `model.json`, `name=N`, `top_k` and `Retry-After`.'
    )
  })

  test('sets an error code as code where it is one', () => {
    expect(markdown('gets 503 draining, or queue_full; when draining, wait')).toBe(
      'gets 503 `draining`, or `queue_full`; when draining, wait'
    )
  })

  test('escapes what Markdown would read as HTML, emphasis or a cell border', () => {
    expect(markdown('a|b 2*3 <b>')).toBe('a\\|b 2\\*3 `<b>`')
    expect(markdown('x < y > z')).toBe('x &lt; y &gt; z')
  })
})

describe('writeOrCheck', () => {
  test('--check says whether the file is the render, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-infer-docs-'))
    const path = join(dir, 'page.md')
    try {
      expect(await writeOrCheck(path, 'fresh\n', 'regenerate', [])).toBe(true)
      expect(await Bun.file(path).text()).toBe('fresh\n')
      expect(await writeOrCheck(path, 'fresh\n', 'regenerate', ['--check'])).toBe(true)
      expect(await writeOrCheck(path, 'changed\n', 'regenerate', ['--check'])).toBe(false)
      expect(await Bun.file(path).text()).toBe('fresh\n')
      expect(await writeOrCheck(join(dir, 'missing.md'), 'x', 'regenerate', ['--check'])).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
