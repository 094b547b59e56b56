import type { ServerProcess } from './server-process'

/**
 * The request log line of one request id. The after-response hook runs once the answer is out, and the
 * line then crosses a pipe: wait for it as a condition, bounded (about 2 s), never for a fixed time.
 */
export async function requestLogLine(server: ServerProcess, requestId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 2000; i++) {
    const line = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request' && l.request_id === requestId)
    if (line) return line
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  throw new Error(`no request log line for ${requestId}; logs:\n${server.logs.join('\n')}`)
}
