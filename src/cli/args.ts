/** Options of `bun run classify`, parsed from argv; a UsageError carries the message for stderr (exit 2). */
export interface ClassifyOptions {
  paths: string[]
  format: 'jsonl' | 'csv'
  topK: number
  /** Empty: the default model. */
  model: string
  /** Images in flight at once (preprocessing, queued or running). */
  concurrency: number
  /** A server's URL: the photos go to it as one bulk job instead of being classified in process. */
  server: string
  /** Sent as a bearer token to the server (else BUN_INFER_API_KEY). */
  apiKey: string
  help: boolean
}

export class UsageError extends Error {}

export const CLASSIFY_USAGE = `usage: bun run classify [options] <files or folders…>

Classifies photos in process (same preprocessing, batcher and worker pool as the server; no HTTP),
or with --server, on a running server as one bulk job (POST /v1/jobs), its results streamed back in order.
Folders are read recursively for .jpg .jpeg .png .webp .gif .avif .tif .tiff files.
Results go to stdout, one per photo; progress (on a terminal) and the summary go to stderr.
Exits 1 when any photo failed, 2 on a usage error.

options:
  --format jsonl|csv   output format (default jsonl)
  --top-k N            labels per photo, best first (default 5)
  --model NAME         model to use (default: BUN_INFER_DEFAULT_MODEL, else mobilenetv2)
  --concurrency N      photos in flight at once (default 32; in process only)
  --server URL         classify on this server as a bulk job (e.g. http://localhost:8080); Ctrl-C cancels it
  --api-key KEY        the server's API key (default: BUN_INFER_API_KEY)
  --help               print this
Worker threads and limits come from the BUN_INFER_* variables, as for the server (bun src/main.ts --help).
`

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a whole number ≥ 1, got ${JSON.stringify(value ?? '')}`)
  return n
}

function serverUrl(value: string | undefined): string {
  if (!value || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new UsageError(`--server needs an http(s) URL, got ${JSON.stringify(value ?? '')}`)
  return value.replace(/\/+$/, '')
}

/** Parses `argv` (without the program name). */
export function parseClassifyArgs(argv: readonly string[]): ClassifyOptions {
  const options: ClassifyOptions = {
    paths: [],
    format: 'jsonl',
    topK: 5,
    model: '',
    concurrency: 32,
    server: '',
    apiKey: '',
    help: false
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.startsWith('--') ? (arg.split('=', 2) as [string, string | undefined]) : [arg, undefined]
    const value = () => inline ?? argv[++i]
    if (flag === '--help' || flag === '-h') options.help = true
    else if (flag === '--format') {
      const format = value()
      if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format is jsonl or csv, got ${JSON.stringify(format ?? '')}`)
      options.format = format
    } else if (flag === '--top-k') options.topK = positiveInt('--top-k', value())
    else if (flag === '--concurrency') options.concurrency = positiveInt('--concurrency', value())
    else if (flag === '--model') options.model = value() ?? ''
    else if (flag === '--server') options.server = serverUrl(value())
    else if (flag === '--api-key') options.apiKey = value() ?? ''
    else if (flag.startsWith('--')) throw new UsageError(`unknown option ${flag}`)
    else options.paths.push(arg)
  }
  if (!options.help && options.paths.length === 0) throw new UsageError('no files or folders given')
  return options
}
