import type { Prediction } from '../inference/postprocess'

/** One photo's outcome: its labels, or the stable error code it failed with. */
export type Outcome =
  | { file: string; model: string; model_version: string; predictions: Prediction[] }
  | { file: string; error: { code: string; message: string } }

/** RFC 4180: quote a field that holds a comma, a quote or a line break. */
function csvField(value: string | number): string {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const CSV_HEADER = 'file,model,model_version,rank,label,class_index,score,error_code,error_message\n'

/** The text printed for one outcome: one JSON line, or one CSV row per label (one row for a failure). */
export function formatOutcome(outcome: Outcome, format: 'jsonl' | 'csv'): string {
  if (format === 'jsonl') return JSON.stringify(outcome) + '\n'
  const row = (fields: Array<string | number>) => fields.map(csvField).join(',') + '\n'
  if ('error' in outcome) return row([outcome.file, '', '', '', '', '', '', outcome.error.code, outcome.error.message])
  return outcome.predictions
    .map((p, rank) => row([outcome.file, outcome.model, outcome.model_version, rank + 1, p.label, p.class_index, p.score, '', '']))
    .join('')
}
