/**
 * Plain-text descriptions (the config schema's, the error catalogue's) turned into Markdown, and the
 * write-or-check step every generated page shares. The descriptions stay plain text because `--help` and the
 * OpenAPI document show them as they are; names in them are set as code here.
 */
import { relative } from 'node:path'
import { ERROR_CATALOGUE } from '../../src/errors'

const CODES: ReadonlySet<string> = new Set(Object.keys(ERROR_CATALOGUE))

/** Words that are names, set as code: variables, paths, headers, URLs, name=value lists, dotted keys. */
const NAME_PATTERNS = [
  /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/, // BUN_INFER_PORT, OTEL_SERVICE_NAME, SO_REUSEPORT
  /^PORT$/,
  /^\/[\w{}/.-]*$/, // /v1/predict, /health, /
  /^x-[a-z-]+$/, // x-request-id
  /^[A-Z][A-Za-z]*(-[A-Z][A-Za-z]*)+$/, // Retry-After, WWW-Authenticate, X-Forwarded-For
  /^[a-z]+\/[a-z0-9.+-]+$/, // multipart/form-data, application/json
  /:\/\//, // redis://user:password@host:port
  /^[\w.-]+=[\w.,=-]*$/, // name=count, key=value,key2=value2
  /^[a-z_]{2,}(\.[a-z_]{2,})+$/, // session.intra_op.allow_spinning, model.json (not "e.g")
  /^[a-z]+(_[a-z0-9]+)+$/, // top_k, request_id
  /^<[a-z]/, // <namespace>:result:…
  /^[*#]$/ // "* only if listed", "# starts a comment"
]

/** Splits a word into what comes before it, the word, and the punctuation after it. */
const WORD = /^([("]*)(.*?)([)",.;:]*)$/

/** Escapes what Markdown would read as markup outside code: emphasis, HTML and table cell borders. */
const escapeText = (text: string) =>
  text
    .replace(/[*_|]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')

/**
 * A plain-text description as Markdown for a table cell: names in backticks, an error code in backticks
 * where it is one (with an underscore, or after its status: "503 draining"), the rest escaped.
 */
export function asMarkdown(text: string): string {
  const words = text.split(' ')
  return words
    .map((word, i) => {
      const [, before = '', core = '', after = ''] = WORD.exec(word) ?? []
      const isCode = CODES.has(core) && (core.includes('_') || /^\d{3}$/.test(words[i - 1] ?? ''))
      if (core && (isCode || NAME_PATTERNS.some((pattern) => pattern.test(core))))
        return `${escapeText(before)}\`${core.replace(/\|/g, '\\|')}\`${escapeText(after)}`
      return escapeText(word)
    })
    .join(' ')
}

/** One Markdown table: a header row, its rule, and the rows (cells already Markdown). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/**
 * `bun tools/docs/<page>.ts` writes the page; with `--check` it writes nothing and says whether the committed file
 * equals the render, naming the command that fixes it when it does not. False: stale (the caller exits 1).
 */
export async function writeOrCheck(path: string, rendered: string, command: string, argv: readonly string[]): Promise<boolean> {
  const file = Bun.file(path)
  if (argv.includes('--check')) {
    const committed = (await file.exists()) ? await file.text() : ''
    if (committed !== rendered) console.error(`${relative(process.cwd(), path)} is stale: run ${command}`)
    return committed === rendered
  }
  await Bun.write(path, rendered)
  console.log(`wrote ${relative(process.cwd(), path)}`)
  return true
}
