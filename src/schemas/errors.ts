import { t } from 'elysia'
import { ERROR_CATALOGUE } from '../errors'

export const ErrorResponse = t.Object(
  {
    error: t.Object({
      code: t.Union(
        Object.keys(ERROR_CATALOGUE).map((code) => t.Literal(code)),
        { description: 'Stable, machine-readable code.' }
      ),
      message: t.String({ description: 'For humans; may change between versions.' }),
      request_id: t.String()
    })
  },
  { $id: '#/components/schemas/Error', description: 'Every error has this shape.' }
)

/** OpenAPI response entries for the given statuses, all with the shared error shape. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse]))
}
