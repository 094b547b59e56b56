// The try-it page: no build step, no dependencies, every request to this same server.
const $ = (id) => document.getElementById(id)
const KEY_STORAGE = 'bun-infer.api-key'
const BUSY = 'The server is busy right now.'

/** Error codes (the API's stable ones) in plain words. */
const PLAIN_WORDS = {
  image_too_large: 'That photo is too big for this server (too many bytes or too many pixels). Try a smaller one.',
  payload_too_large: 'That upload is too big for this server. Try a smaller photo.',
  too_many_images: 'Too many photos at once.',
  unsupported_image_format: 'That file is not a photo this server can read. Use a JPEG, PNG, WebP, GIF, AVIF or TIFF.',
  invalid_image: 'That file looks like a photo but is damaged or cut short, so it could not be read.',
  malformed_request: 'The upload arrived broken. Try again.',
  queue_full: BUSY,
  too_many_in_flight: BUSY,
  rate_limited: 'You are sending photos faster than this server allows.',
  unauthorized: 'This server needs an API key: open "API key", paste yours, and try again.',
  not_ready: 'The server is still loading its models.',
  draining: 'The server is shutting down.',
  worker_lost: 'The server lost the worker running this photo (it has been replaced). Try again.',
  deadline_exceeded: 'The server took too long to answer. Try again.',
  model_not_found: 'That model is not loaded on this server. Reload the page.',
  model_version_not_found: 'That model version is not loaded on this server. Reload the page.',
  body_timeout: 'The upload took too long to arrive. Try again.'
}

function authHeaders() {
  const key = sessionStorage.getItem(KEY_STORAGE)
  return key ? { authorization: `Bearer ${key}` } : {}
}

/** The plain-words message for an error response. */
async function errorMessage(response) {
  let code = ''
  let message = `The server answered ${response.status}.`
  try {
    const body = await response.json()
    code = body?.error?.code ?? ''
    message = body?.error?.message ?? message
  } catch {}
  const retry = response.headers.get('retry-after')
  const words = PLAIN_WORDS[code] ?? `Something went wrong: ${message}`
  return retry ? `${words} Try again in ${retry} s.` : words
}

/** `decode-wait;dur=0.1, preprocess;dur=6.8, …` → "decode-wait 0.1 ms · preprocess 6.8 ms · …" */
function timingsFrom(header) {
  if (!header) return 'not reported'
  return header
    .split(',')
    .map((entry) => {
      const [name, ...params] = entry.trim().split(';')
      const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='))
      return dur ? `${name} ${Number(dur.slice(4)).toFixed(1)} ms` : name
    })
    .join(' · ')
}

function showError(text) {
  $('error').textContent = text
  $('error').hidden = false
  $('status').textContent = ''
}

function showPredictions(body, response) {
  const list = $('predictions')
  list.replaceChildren()
  for (const p of body.predictions[0] ?? []) {
    const percent = `${(p.score * 100).toFixed(1)} %`
    const item = document.createElement('li')
    item.dataset.classIndex = String(p.class_index)
    const label = document.createElement('div')
    label.className = 'label'
    const name = document.createElement('span')
    name.textContent = p.label
    const value = document.createElement('span')
    value.className = 'percent'
    value.textContent = percent
    label.append(name, value)
    const track = document.createElement('div')
    track.className = 'track'
    track.setAttribute('role', 'img')
    track.setAttribute('aria-label', `${p.label}: ${percent}`)
    const fill = document.createElement('div')
    fill.className = 'fill'
    fill.style.width = `${Math.max(0.5, p.score * 100)}%`
    track.append(fill)
    item.append(label, track)
    list.append(item)
  }
  $('answered-by').textContent = `${body.model}, version ${body.model_version}${body.metadata.cached ? ' (from the result cache)' : ''}`
  $('timings').textContent = timingsFrom(response.headers.get('server-timing'))
  $('details').hidden = false
  $('status').textContent = 'Done: the five most likely labels, best first.'
}

async function classify(file) {
  $('error').hidden = true
  $('details').hidden = true
  $('predictions').replaceChildren()
  $('status').textContent = `Classifying ${file.name || 'the photo'}…`
  const preview = $('preview')
  if (preview.src) URL.revokeObjectURL(preview.src)
  preview.src = URL.createObjectURL(file)
  preview.alt = `The photo sent: ${file.name || 'unnamed'}`
  preview.hidden = false
  const form = new FormData()
  form.append('image', file, file.name || 'photo')
  form.append('top_k', '5')
  const model = $('model').value
  const path = model ? `/v1/models/${encodeURIComponent(model)}/predict` : '/v1/predict'
  try {
    const response = await fetch(path, { method: 'POST', body: form, headers: authHeaders() })
    if (!response.ok) return showError(await errorMessage(response))
    showPredictions(await response.json(), response)
  } catch {
    showError('The server could not be reached. Is it still running?')
  }
}

async function loadModels() {
  try {
    const response = await fetch('/v1/models', { headers: authHeaders() })
    if (!response.ok) return showError(await errorMessage(response))
    const { models } = await response.json()
    const select = $('model')
    select.replaceChildren()
    for (const m of models) {
      const option = document.createElement('option')
      option.value = m.name
      option.textContent = `${m.name} (version ${m.version})${m.default ? ', default' : ''}`
      option.selected = m.default
      select.append(option)
    }
  } catch {
    showError('The server could not be reached. Is it still running?')
  }
}

function wire() {
  $('key').value = sessionStorage.getItem(KEY_STORAGE) ?? ''
  $('key').addEventListener('change', () => {
    const key = $('key').value.trim()
    if (key) sessionStorage.setItem(KEY_STORAGE, key)
    else sessionStorage.removeItem(KEY_STORAGE)
    $('error').hidden = true
    void loadModels()
  })
  $('file').addEventListener('change', () => {
    const file = $('file').files?.[0]
    if (file) void classify(file)
  })
  for (const button of document.querySelectorAll('button.sample'))
    button.addEventListener('click', async () => {
      const url = button.dataset.sample
      const blob = await (await fetch(url)).blob()
      void classify(new File([blob], url.split('/').pop(), { type: blob.type }))
    })
  const drop = $('drop')
  drop.addEventListener('dragover', (event) => {
    event.preventDefault()
    drop.classList.add('over')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('over'))
  drop.addEventListener('drop', (event) => {
    event.preventDefault()
    drop.classList.remove('over')
    const file = event.dataTransfer?.files?.[0]
    if (file) void classify(file)
  })
  void loadModels()
}

wire()
