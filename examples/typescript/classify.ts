/**
 * Classifies photos with a running server through the typed client:
 * `bun examples/typescript/classify.ts http://localhost:8080 photo.jpg [more.jpg…]`
 */
import { bunInferClient, multipart } from './client'

const [baseUrl = 'http://localhost:8080', ...files] = process.argv.slice(2)
const client = bunInferClient(baseUrl, process.env.BUN_INFER_API_KEY)
const images = await Promise.all(
  files.map((file) =>
    Bun.file(file)
      .arrayBuffer()
      .then((bytes) => new Blob([bytes]))
  )
)
const { data, error, response } = await client.POST('/v1/predict', { body: { image: images, top_k: 3 }, bodySerializer: multipart })
if (error) {
  console.error(`${response.status} ${error.error.code}: ${error.error.message}`)
  process.exit(1)
}
data.predictions.forEach((labels, i) => console.log(files[i], labels.map((p) => `${p.label} ${(p.score * 100).toFixed(1)} %`).join(', ')))
