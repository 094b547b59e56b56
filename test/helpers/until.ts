/**
 * Resolves once `condition` holds, polling it (not a fixed sleep); with `timeoutMs`, fails naming `what` after that
 * long, else it is bounded by the test's own timeout.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = Infinity, what = 'the condition held' }: { timeoutMs?: number; what?: string } = {}
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await Bun.sleep(20)
  }
}
