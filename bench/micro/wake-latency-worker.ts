/// <reference lib="webworker" />
/** bench/micro/wake-latency.ts's worker: stamps when each message arrives and answers at once. */
declare const self: Worker
export {}
const now = () => performance.timeOrigin + performance.now()
self.onmessage = (event: MessageEvent<{ sent: number }>) => {
  const arrived = now()
  self.postMessage({ sent: event.data.sent, arrived, replied: now() })
}
