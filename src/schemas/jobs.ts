import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { MAX_TOP_K } from '../top-k'

const Time = (description: string) => t.Union([t.String({ format: 'date-time' }), t.Null()], { description })

export const JobStatusBody = t.Object(
  {
    id: t.String({ description: 'The job id (a UUID).' }),
    status: t.Union([t.Literal('queued'), t.Literal('running'), t.Literal('completed'), t.Literal('failed'), t.Literal('cancelled')], {
      description:
        'queued, running, completed (every image has a result line, some may be errors), failed (the job as a whole: its upload was lost) or cancelled.'
    }),
    model: t.String({ examples: ['mobilenetv2'] }),
    model_version: t.String({ description: 'The version every image of the job runs on, fixed when it was accepted.' }),
    top_k: Type.Integer(),
    images: t.Object({
      total: Type.Integer(),
      done: Type.Integer({ description: 'Images answered with predictions.' }),
      failed: Type.Integer({ description: 'Images answered with an error (their result line says which).' }),
      pending: Type.Integer({ description: 'Images without a result yet.' })
    }),
    created_at: t.String({ format: 'date-time' }),
    started_at: Time('When its first image started; null while queued.'),
    finished_at: Time('When it completed, failed or was cancelled.'),
    expires_at: Time('When a finished job and its results are deleted (BUN_INFER_JOB_RETENTION_HOURS after it finished).'),
    eta_seconds: t.Union([t.Number(), t.Null()], {
      description: 'Seconds left at the rate so far, while running; null otherwise.'
    }),
    error: t.Union([t.String(), t.Null()], { description: 'Why the job failed as a whole.' }),
    results_url: t.String({ description: 'Where its NDJSON results are read.' })
  },
  { $id: '#/components/schemas/Job' }
)

/** For the docs page: what a job upload looks like (read from the spool by hand, not by Elysia). */
export const JobMultipartBody = Type.Object(
  {
    images: Type.Optional(
      Type.Array(Type.String({ format: 'binary' }), { description: 'Image files, in the order their results come back.' })
    ),
    archive: Type.Optional(
      Type.String({ format: 'binary', description: 'A plain (uncompressed) tar of images, after the images fields, in archive order.' })
    ),
    model: Type.Optional(Type.String({ description: 'Model name (default: the default model).' })),
    version: Type.Optional(Type.String({ description: 'A version of the model (default: its default version).' })),
    top_k: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_TOP_K, description: 'Labels per image (default BUN_INFER_DEFAULT_TOP_K).' })
    )
  },
  { $id: '#/components/schemas/JobMultipartRequest' }
)

export const jobRequestBodyDoc = {
  required: true,
  description:
    'multipart/form-data with image files in the repeatable field `images` and/or tar archives in `archive`, and optional `model`, `version`, `top_k`; or a bare tar archive as application/x-tar (options in the query string). Written to disk as it arrives.',
  content: {
    'multipart/form-data': { schema: JobMultipartBody },
    'application/x-tar': { schema: { type: 'string', format: 'binary' } }
  }
}

export const jobResultsDoc = {
  200: {
    description:
      'NDJSON, one line per image in submission order: {"index","name","predictions"} as in POST /v1/predict, or {"index","name","error":{"code","message"}} for an image that cannot be classified. Streams while the job runs and ends when it is finished.',
    content: { 'application/x-ndjson': { schema: { type: 'string' } } }
  }
}
