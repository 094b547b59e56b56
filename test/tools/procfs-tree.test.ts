import { expect, test } from 'bun:test'
import { cpuSeconds, processTree, treeCpuSeconds } from '../../tools/process/procfs'

// The launcher and the bench read a supervisor (BUN_INFER_PROCESSES) through the processes below it.
test('processTree lists the processes below a pid, and a tree reading adds theirs to its own', async () => {
  // A shell that waits on a child spinning on a core: the CPU is the child's, not the shell's.
  const shell = Bun.spawn(['bash', '-c', 'while :; do :; done & echo $!; wait'], { stdout: 'pipe', stderr: 'ignore' })
  let spinner = 0
  try {
    spinner = Number(new TextDecoder().decode((await shell.stdout.getReader().read()).value).trim())
    while ((cpuSeconds(spinner) ?? 0) < 0.05) await Bun.sleep(10) // a condition polled: it has spun 50 ms
    expect(processTree(shell.pid)).toEqual([shell.pid, spinner])
    expect(treeCpuSeconds(shell.pid)!).toBeGreaterThanOrEqual(cpuSeconds(shell.pid)! + 0.05)
  } finally {
    if (spinner) process.kill(spinner, 'SIGKILL')
    shell.kill('SIGKILL')
    await shell.exited
  }
})
