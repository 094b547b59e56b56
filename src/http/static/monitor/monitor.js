// The monitor page: no build step; uPlot (served by this server from its npm package) draws the charts.
const $ = (id) => document.getElementById(id)
const KEY_STORAGE = 'bun-infer.api-key'
const BUCKETS = 24
const DRIFT_ALERT = 0.2 // deploy/prometheus/alerts.yml, BunInferPredictionDrift
const COLOURS = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#65a30d', '#94a3b8']
const charts = new Map()

function authHeaders() {
  const key = sessionStorage.getItem(KEY_STORAGE)
  return key ? { authorization: `Bearer ${key}` } : {}
}

async function getJson(path) {
  const response = await fetch(path, { headers: authHeaders() })
  if (!response.ok) {
    let code = ''
    try {
      code = (await response.json())?.error?.code ?? ''
    } catch {}
    const words = {
      unauthorized: 'This server needs an API key: open "API key" and paste yours.',
      prediction_log_off: 'The prediction log is off on this server (BUN_INFER_PREDICTION_LOG=off): there is nothing to show.'
    }
    throw new Error(words[code] ?? `The server answered ${response.status}${code ? ` (${code})` : ''}.`)
  }
  return response.json()
}

/** Replaces the chart in `id` (uPlot draws into a fixed size: redrawn on each refresh). */
function draw(id, options, data) {
  charts.get(id)?.destroy()
  const element = $(id)
  const chart = new uPlot({ width: Math.max(320, element.clientWidth), height: 240, ...options }, data, element)
  charts.set(id, chart)
}

const time = (starts) => starts.map((ms) => ms / 1000)

function labelsChart(timeline) {
  const series = timeline.labels.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2 }))
  draw('labels-chart', { series: [{}, ...series], axes: [{}, { label: 'images' }] }, [
    time(timeline.starts),
    ...timeline.labels.map((s) => s.counts)
  ])
}

function driftChart(timeline) {
  const some = timeline.drift_labels_js.some((v) => v !== null)
  $('drift-empty').hidden = some
  const alert = timeline.starts.map(() => DRIFT_ALERT)
  draw(
    'drift-chart',
    {
      scales: { y: { range: [0, 1] } },
      series: [
        {},
        { label: 'labels', stroke: COLOURS[0], width: 2 },
        { label: 'confidence', stroke: COLOURS[1], width: 2 },
        { label: 'alert', stroke: '#b42318', dash: [6, 6], width: 1, points: { show: false } }
      ],
      axes: [{}, { label: 'JS (bits)' }]
    },
    [time(timeline.starts), timeline.drift_labels_js, timeline.drift_confidence_js, alert]
  )
}

function confidenceChart(histogram) {
  const bars = uPlot.paths.bars({ size: [0.8] })
  draw(
    'confidence-chart',
    {
      scales: { x: { time: false, range: [0, 1] } },
      series: [{}, { label: 'images', stroke: COLOURS[0], fill: '#2563eb55', paths: bars, points: { show: false } }],
      axes: [{ label: "top class's probability" }, { label: 'images' }]
    },
    [histogram.map((_, i) => (i + 0.5) / histogram.length), histogram]
  )
}

function latencyBars(labels) {
  const top = labels.slice(0, 12)
  const longest = Math.max(1, ...top.map((l) => l.latency_ms.p95))
  $('latency').replaceChildren(
    ...top.map((l) => {
      const item = document.createElement('li')
      item.dataset.classIndex = String(l.class_index)
      const name = Object.assign(document.createElement('span'), { className: 'label', textContent: l.label, title: l.label })
      const track = Object.assign(document.createElement('span'), { className: 'track' })
      for (const q of ['p95', 'p50']) {
        const bar = Object.assign(document.createElement('span'), { className: q })
        bar.style.width = `${(100 * l.latency_ms[q]) / longest}%`
        track.append(bar)
      }
      const figures = Object.assign(document.createElement('span'), {
        textContent: `${l.latency_ms.p50.toFixed(0)} / ${l.latency_ms.p95.toFixed(0)} ms`
      })
      item.append(name, track, figures)
      return item
    })
  )
}

function lowConfidenceRows(rows) {
  $('low-confidence').replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr')
      for (const [text, number] of [
        [new Date(r.time).toLocaleTimeString(), false],
        [r.label, false],
        [`${(100 * r.score).toFixed(1)} %`, true],
        [r.request_id, false]
      ])
        tr.append(Object.assign(document.createElement('td'), { textContent: text, className: number ? 'number' : '' }))
      return tr
    })
  )
}

async function refresh() {
  $('error').hidden = true
  const model = $('model').value
  if (!model) return
  try {
    const summary = await getJson(
      `/v1/models/${encodeURIComponent(model)}/monitoring?window=${encodeURIComponent($('window').value)}&timeline=${BUCKETS}`
    )
    $('status').textContent =
      `${summary.total} images answered by ${summary.model} in the last ${$('window').selectedOptions[0].textContent}.`
    labelsChart(summary.timeline)
    driftChart(summary.timeline)
    confidenceChart(summary.confidence_histogram)
    latencyBars(summary.labels)
    lowConfidenceRows(summary.recent_low_confidence)
    document.body.dataset.loaded = model
  } catch (error) {
    $('error').textContent = error.message
    $('error').hidden = false
  }
}

async function start() {
  $('key').value = sessionStorage.getItem(KEY_STORAGE) ?? ''
  $('key').addEventListener('change', () => {
    sessionStorage.setItem(KEY_STORAGE, $('key').value.trim())
    void loadModels()
  })
  $('controls').addEventListener('submit', (event) => {
    event.preventDefault()
    void refresh()
  })
  $('model').addEventListener('change', () => void refresh())
  $('window').addEventListener('change', () => void refresh())
  await loadModels()
}

async function loadModels() {
  try {
    const { models } = await getJson('/v1/models')
    $('model').replaceChildren(
      ...models.map((m) => Object.assign(document.createElement('option'), { value: m.name, textContent: m.name, selected: m.default }))
    )
    await refresh()
  } catch (error) {
    $('error').textContent = error.message
    $('error').hidden = false
  }
}

void start()
