/** A one-line progress bar redrawn in place; only on a terminal (a pipe or a log file gets nothing). */
export class ProgressBar {
  private lastDrawMs = 0

  constructor(
    private readonly total: number,
    private readonly stream: { isTTY?: boolean; write(text: string): unknown } = process.stderr
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true && this.total > 0
  }

  /** Redraws at most every 100 ms (and always at the end), so the bar costs nothing next to inference. */
  update(done: number, failed: number): void {
    if (!this.enabled) return
    const now = performance.now()
    if (done < this.total && now - this.lastDrawMs < 100) return
    this.lastDrawMs = now
    const width = 30
    const filled = Math.round((done / this.total) * width)
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total}${failed ? `, ${failed} failed` : ''}`)
    if (done === this.total) this.stream.write('\n')
  }
}
