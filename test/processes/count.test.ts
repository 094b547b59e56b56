import { expect, test } from 'bun:test'
import { loadConfig } from '../../src/config/load'
import { processCount } from '../../src/processes/count'

test.each([
  // [BUN_INFER_PROCESSES, cores, processes]
  [undefined, 16, 1],
  ['3', 2, 3],
  ['auto', 1, 1],
  ['auto', 2, 1],
  ['auto', 3, 1],
  ['auto', 16, 8]
] as const)('BUN_INFER_PROCESSES=%p on %i cores: %i processes', (setting, cores, processes) => {
  const config = loadConfig(setting === undefined ? {} : { BUN_INFER_PROCESSES: setting })
  expect(processCount(config.processes, cores)).toBe(processes)
})

test.each(['0', '257', 'many', '-1'])('BUN_INFER_PROCESSES=%p stops startup, naming the variable', (setting) => {
  expect(() => loadConfig({ BUN_INFER_PROCESSES: setting })).toThrow(`invalid config BUN_INFER_PROCESSES="${setting}"`)
})
