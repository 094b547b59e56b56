import type { Server } from 'bun'

export interface ReceivedExport {
  path: string
  contentType: string
  headers: Headers
  body: string
}

/** A stand-in OTLP/HTTP collector on an ephemeral loopback port: it only records what it is sent. */
export function startCollector(): { server: Server<unknown>; received: ReceivedExport[] } {
  const received: ReceivedExport[] = []
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      received.push({
        path: new URL(request.url).pathname,
        contentType: request.headers.get('content-type') ?? '',
        headers: request.headers,
        body: await request.text()
      })
      return new Response('{}', { headers: { 'content-type': 'application/json' } })
    }
  })
  return { server, received }
}
