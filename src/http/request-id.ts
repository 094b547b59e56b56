/** An incoming x-request-id is kept when it is short and plain; anything else is replaced. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/

const ids = new WeakMap<Request, string>()

/** The request's id, fixed on first use, so handlers and the error plugin agree. */
export function requestIdOf(request: Request): string {
  let id = ids.get(request)
  if (!id) {
    const incoming = request.headers.get('x-request-id')
    id = incoming && SANE_ID.test(incoming) ? incoming : crypto.randomUUID()
    ids.set(request, id)
  }
  return id
}
