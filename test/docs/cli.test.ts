import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { CLASSIFY_USAGE } from '../../src/cli/args'
import { CLI_FIELDS, kebab } from '../../src/config/load'

const page = await Bun.file(join(import.meta.dir, '../../docs/cli.md')).text()

describe('docs/cli.md', () => {
  test("shows classify's --help as the program prints it", () => {
    expect(page).toContain(CLASSIFY_USAGE)
  })

  test('names every flag of the server', () => {
    for (const field of CLI_FIELDS) expect(page).toContain(`\`--${kebab(field)}\``)
  })
})
