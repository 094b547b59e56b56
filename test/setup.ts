import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'bun:test'

// Servers started by the tests (they inherit this environment) keep their prediction log in a folder of this test
// run, never in the repository's data/.
const dataDir = mkdtempSync(join(tmpdir(), 'bun-infer-test-data-'))
process.env.BUN_INFER_DATA_DIR ??= dataDir
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))
