/** Facts about the machine and the software under test, recorded with every result. */
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { MachineFacts } from './types'

function packageVersion(root: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

function git(root: string, args: string[]): string {
  const out = Bun.spawnSync(['git', ...args], { cwd: root, stderr: 'ignore' })
  return out.exitCode === 0 ? out.stdout.toString().trim() : ''
}

/** CPU model, cores, memory, OS and the versions of Bun, onnxruntime-node, sharp/libvips, autocannon and the commit. */
export function machineFacts(root: string): MachineFacts {
  const versions = sharp.versions as Record<string, string | undefined>
  const cores = availableParallelism()
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores,
    ...(cpus().length > cores ? { coresOnline: cpus().length } : {}),
    memTotalGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osType(),
    kernel: release(),
    bun: Bun.version,
    onnxruntime: packageVersion(root, 'onnxruntime-node'),
    sharp: versions.sharp ?? packageVersion(root, 'sharp'),
    libvips: versions.vips ?? 'unknown',
    autocannon: packageVersion(root, 'autocannon'),
    gitCommit: git(root, ['rev-parse', '--short', 'HEAD']) || 'unknown',
    gitDirty: git(root, ['status', '--porcelain', '--untracked-files=no']) !== ''
  }
}

/** Load averages over 1, 5 and 15 minutes (2 decimals): a busy neighbour on a shared machine shows here. */
export const loadAverages = () => loadavg().map((l) => Math.round(l * 100) / 100)

/** 1-minute load average. */
export const loadAverage1m = () => loadAverages()[0]!
