import { Type, type Static } from '@sinclair/typebox'
import { CACHE_NAMESPACE_PATTERN } from '../cache/namespace'
import { EXECUTION_PROVIDERS } from '../inference/providers'
import { MAX_TOP_K } from '../top-k'

/** OTEL_TRACES_SAMPLER's values (the OpenTelemetry SDK environment specification). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio'
] as const

const Int = (minimum: number, maximum: number, def: number, description: string) =>
  Type.Integer({ minimum, maximum, default: def, description })

/**
 * Every setting of the server, with its unit and default. The env var for a field is
 * `BUN_INFER_` + the field name in SCREAMING_SNAKE_CASE (e.g. maxBatchDelayMs → BUN_INFER_MAX_BATCH_DELAY_MS).
 * `secret: true` marks a setting whose value is never shown in an error or a log (see secrets.ts).
 */
export const ConfigSchema = Type.Object({
  host: Type.String({ default: '0.0.0.0', description: 'Interface to listen on.' }),
  port: Int(0, 65535, 8080, 'TCP port; 0 picks a free one. When unset, PORT is read.'),
  modelsDir: Type.String({
    default: 'models',
    description: 'Model repository: one folder per model, holding its model.json, its labels and one numbered folder per version.'
  }),
  defaultModel: Type.String({
    default: 'mobilenetv2',
    description:
      'Model behind POST /v1/predict and the classify command; the repository extension and the directory poller never unload it.'
  }),
  workers: Int(
    1,
    64,
    2,
    'Inference worker threads; each holds one onnxruntime session per model placed on it (see BUN_INFER_MODEL_INSTANCES).'
  ),
  executionProvider: Type.Union(
    EXECUTION_PROVIDERS.map((p) => Type.Literal(p)),
    {
      default: 'cpu',
      description:
        "onnxruntime's execution provider for every session: cpu, or cuda, tensorrt or webgpu where this install of onnxruntime-node has it. One it lacks stops startup with how to get it (bun install skips the CUDA download)."
    }
  ),
  intraOpThreads: Int(1, 64, 1, 'onnxruntime intra-op threads per session.'),
  loneIntraOpThreads: Int(
    0,
    64,
    0,
    "Intra-op threads of a second session per worker and model, used for a batch of one image that starts while no other worker is busy, so a lone request gets every core; larger batches stay on the first session, so the second never grows a batch-sized arena. 0: one per CPU core (with BUN_INFER_PROCESSES, one per core of each process's share: cores ÷ processes). At most BUN_INFER_INTRA_OP_THREADS (e.g. 1): no second session, which saves one copy of each model per worker."
  ),
  intraOpSpinning: Type.Boolean({
    default: false,
    description:
      "Whether idle intra-op threads busy-wait (onnxruntime's session.intra_op.allow_spinning, on by default in onnxruntime). Off: spare threads sleep and leave the CPU to decoding and the other workers."
  }),
  loneIntraOpSpinning: Type.Boolean({
    default: true,
    description:
      "Whether the lone session's intra-op threads busy-wait between the steps of its run; they stop when the run returns (session.force_spinning_stop), so a lone image pays no wake-up per step and no CPU is taken between requests. Off: they sleep, like the others."
  }),
  maxBatchSize: Int(0, 1024, 0, "Cap on every model's batch size, in images; 0 keeps each manifest's value; 1 turns batching off."),
  maxBatchDelayMs: Int(
    -1,
    10_000,
    -1,
    "Batch window for every model, ms: how long the oldest queued image may wait for a fuller batch while other batches run. -1 keeps each manifest's value."
  ),
  modelInstances: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}=[0-9]{1,4}$' }), {
    default: [],
    description:
      "Per-model instance counts as name=count, comma-separated (e.g. shufflenetv2=2,mobilenetv2=1), overriding the manifests' instances: how many workers hold a session of that model; 0: every worker."
  }),
  modelMaxBatchSize: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}=[0-9]{1,4}$' }), {
    default: [],
    description:
      "Per-model batch size as name=N, comma-separated, in place of BUN_INFER_MAX_BATCH_SIZE for that model; never more than its manifest's (what the graph was exported for)."
  }),
  modelMaxBatchDelayMs: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}=[0-9]{1,5}$' }), {
    default: [],
    description: 'Per-model batch window in ms as name=N, comma-separated, in place of BUN_INFER_MAX_BATCH_DELAY_MS for that model.'
  }),
  maxConcurrentDecodes: Int(
    0,
    1024,
    0,
    'Images decoded at once across all requests (sharp); 0: one per CPU core (with BUN_INFER_PROCESSES, per process: one per core of its share, cores ÷ processes). More only adds contention and memory.'
  ),
  batchWatchdogMs: Int(
    0,
    600_000,
    10_000,
    'A batch running longer than this many ms means a wedged worker: it is terminated and replaced, and its batch gets 503 worker_lost. 0 turns the watchdog off.'
  ),
  maxQueueImages: Int(1, 1_000_000, 256, 'Images waiting per model before 429 queue_full.'),
  bodyTimeoutMs: Int(
    1,
    600_000,
    10_000,
    'An inference request body not fully received within this many ms gets 408 body_timeout (a slow or stalled client).'
  ),
  requestTimeoutMs: Int(
    1,
    600_000,
    30_000,
    'Deadline of an inference request, ms (504 deadline_exceeded); the x-request-timeout-ms request header can only shorten it.'
  ),
  maxBodyBytes: Int(
    1024,
    1 << 30,
    32 * 1024 * 1024,
    'Largest request body, bytes (413 payload_too_large); a chunked body is counted as it arrives.'
  ),
  maxImageBytes: Int(16, 1 << 30, 16 * 1024 * 1024, 'Largest single encoded image, bytes (413 image_too_large).'),
  maxImagePixels: Int(
    1,
    1 << 30,
    40_000_000,
    'Largest image, width × height pixels (413 image_too_large): checked from the header before decoding, and again by the decoder.'
  ),
  maxProgressivePixels: Int(
    1,
    1 << 30,
    16_000_000,
    'Largest progressive JPEG, width × height pixels (413 image_too_large): libjpeg decodes one from a buffer of all its coefficients (2 bytes each, up to 6 bytes a pixel), where a baseline JPEG streams.'
  ),
  maxJpegScans: Int(
    1,
    10_000,
    100,
    "Most scans a JPEG may have (413 image_too_large): each scan of a progressive JPEG is a pass over the whole image, and a small file can hold thousands; libjpeg's cjpeg writes at most 100."
  ),
  maxImagesPerRequest: Int(1, 1024, 16, 'Most images in one request (413 too_many_images).'),
  defaultTopK: Int(1, MAX_TOP_K, 5, 'Labels returned per image when the request gives no top_k.'),
  corsOrigins: Type.Array(Type.String(), {
    default: [],
    description: 'Allowed CORS origins, comma-separated; * only if listed; credentials are never allowed. Empty: no CORS headers at all.'
  }),
  maxCacheEntries: Int(0, 10_000_000, 10_000, 'Result cache entries in process; 0 turns the result cache off, the shared tier included.'),
  maxCacheBytes: Int(1024, 1 << 30, 64 * 1024 * 1024, 'Result cache size in process, bytes.'),
  cacheTtlMs: Int(1, 30 * 24 * 3600 * 1000, 3_600_000, 'Result cache entry lifetime (both tiers), ms.'),
  redisUrl: Type.String({
    default: '',
    secret: true, // its password
    description:
      'Shared result cache tier, so replicas share answers: redis://user:password@host:port, for an ACL user confined to the keys <namespace>:*. When unset, REDIS_URL is read. Empty: the in-process cache only.'
  }),
  redisTimeoutMs: Int(1, 10_000, 30, 'Longest a request waits for the shared cache tier before it computes the answer itself, ms.'),
  cacheNamespace: Type.String({
    default: 'bun-infer',
    pattern: CACHE_NAMESPACE_PATTERN,
    description:
      'Prefix of every shared-tier key (<namespace>:result:…): give each deployment sharing a Redis its own (e.g. staging, production), so they never answer for each other. Up to 64 letters, digits, underscores, dots and hyphens, starting with a letter or digit.'
  }),
  apiKeys: Type.Array(Type.String({ minLength: 16 }), {
    default: [],
    secret: true,
    description:
      'API keys, comma-separated, each at least 16 characters, sent in the Authorization header (Bearer) or in x-api-key. Empty, with no BUN_INFER_API_KEYS_FILE: no auth.'
  }),
  apiKeysFile: Type.String({
    default: '',
    description: 'File with one API key per line (lines starting with # are comments), read at startup; its keys join BUN_INFER_API_KEYS.'
  }),
  exemptPaths: Type.Array(Type.String(), {
    default: ['/health', '/v2/health', '/metrics', '/docs', '/openapi.json', '/', '/try-it', '/samples', '/monitor'],
    description:
      'Path prefixes served without an API key and outside the rate limit (the health probes of /v1 and /v2, metrics, docs). The path / is the try-it page alone, not a prefix of every path; its files and sample photos are under /try-it and /samples, and predicting from it still needs a key. /monitor is the monitor page and its files; the data it shows still needs a key.'
  }),
  maxInFlightPerClient: Int(
    0,
    1_000_000,
    0,
    'Inference requests one client (a verified API key when auth is on, else the IP) may have in flight at once; beyond, 429 too_many_in_flight. 0: no cap, the default, since behind a load balancer every request has its IP unless BUN_INFER_TRUSTED_PROXIES names it.'
  ),
  rateLimitPerSecond: Type.Number({
    minimum: 0,
    default: 0,
    description:
      'Requests per second per client (a verified API key when auth is on, else the IP), as a token bucket; beyond, 429 rate_limited. 0 turns the limit off.'
  }),
  rateLimitBurst: Int(1, 1_000_000, 20, 'Requests a client may send at once before the per-second rate applies (the size of its bucket).'),
  otlpEndpoint: Type.String({
    default: '',
    description:
      'OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); empty turns tracing off. When unset, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is read, else OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended.'
  }),
  otlpHeaders: Type.String({
    default: '',
    secret: true, // collectors take their API tokens here
    description:
      'Headers sent to the collector, as key=value,key2=value2. When unset, OTEL_EXPORTER_OTLP_TRACES_HEADERS is read, else OTEL_EXPORTER_OTLP_HEADERS.'
  }),
  serviceName: Type.String({
    minLength: 1,
    default: 'bun-infer',
    description: 'service.name of the spans. When unset, OTEL_SERVICE_NAME is read.'
  }),
  tracesSampler: Type.Union(
    TRACES_SAMPLERS.map((name) => Type.Literal(name)),
    {
      default: 'parentbased_always_on',
      description: 'Which requests are traced, by the OpenTelemetry sampler names. When unset, OTEL_TRACES_SAMPLER is read.'
    }
  ),
  tracesSamplerArg: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 1,
    description: 'Ratio of requests the traceidratio samplers trace, 0–1. When unset, OTEL_TRACES_SAMPLER_ARG is read.'
  }),
  drainTimeoutMs: Int(
    0,
    600_000,
    30_000,
    'On SIGTERM or SIGINT, how long admitted requests (queued and running) may take before the process exits, ms.'
  ),
  enableFaultInjection: Type.Boolean({
    default: false,
    description:
      "Test only: honour the x-bun-infer-fault header: crash or hang (the next batch's worker exits or spins), internal (the handler throws) or gc (a full collection first). Off, the header is not even read. Never enable in production."
  }),
  trustedProxies: Type.Array(Type.String(), {
    default: [],
    description:
      'Proxies (IPs or CIDRs, comma-separated, e.g. the address of nginx) whose X-Forwarded-For names the client for the rate limit and the per-client caps. Empty: the socket address is the client and X-Forwarded-For is ignored.'
  }),
  tlsCertFile: Type.String({
    default: '',
    description:
      'PEM certificate chain (the server certificate first) to serve HTTPS directly, without a proxy in front; needs BUN_INFER_TLS_KEY_FILE. Empty: plain HTTP.'
  }),
  tlsKeyFile: Type.String({ default: '', description: "PEM private key of BUN_INFER_TLS_CERT_FILE's certificate." }),
  reusePort: Type.Boolean({
    default: false,
    description:
      'Listen with SO_REUSEPORT, so several server processes on one host share the port and the kernel spreads connections over them (Linux).'
  }),
  processes: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
    default: 1,
    description:
      "Server processes sharing the port (SO_REUSEPORT, Linux), each with its own JS thread and workers (BUN_INFER_WORKERS; when it is not given, 2 or the process's share of the cores if fewer), under one supervisor that restarts one that dies, forwards SIGTERM and SIGINT, answers readiness for all of them, and serves /metrics summed over them. auto: half the CPU cores the process may run on, at least 1. 1: no supervisor."
  }),
  instanceId: Type.String({
    default: '',
    description:
      'Name of this replica, sent as the x-served-by response header (which replica answered, behind a load balancer). Empty: no header.'
  }),
  repositoryApi: Type.Boolean({
    default: false,
    description:
      'Serve the Open Inference Protocol repository extension (POST /v2/repository/index, /v2/repository/models/{name}/load and /v2/repository/models/{name}/unload). Needs BUN_INFER_ADMIN_KEYS: without them the server does not start.'
  }),
  repositoryPollMs: Int(
    0,
    3_600_000,
    0,
    "Poll the models directory every this many ms and apply what changed (Triton's poll mode): new model folders load, changed ones reload (version folders added or removed), removed ones unload (never the default model). 0: off."
  ),
  adminKeys: Type.Array(Type.String({ minLength: 16 }), {
    default: [],
    secret: true,
    description: 'Keys for the repository extension only, comma-separated, each at least 16 characters; inference API keys never open it.'
  }),
  logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], {
    default: 'info',
    description: 'Lowest log level written, as JSON lines on stdout; info writes one line per request.'
  }),
  bodyBudgetBytes: Int(
    0,
    2 ** 40,
    0,
    'Request-body bytes in flight across all requests; beyond, 429 body_budget_full before the body is read. 0 derives it: an eighth of the cgroup memory limit (else of the RAM), at most 96 MiB and at least BUN_INFER_MAX_BODY_BYTES × 4/3. A value below BUN_INFER_MAX_BODY_BYTES stops startup.'
  ),
  bodyBudgetPerClientBytes: Int(
    0,
    2 ** 40,
    0,
    "Body bytes one client (a verified API key when auth is on, else the IP) may hold in the body budget; beyond them it may only use room that leaves this much free for other clients (429 body_budget_full). 0 derives it: one largest image (BUN_INFER_MAX_IMAGE_BYTES) and 1 MiB, at most a quarter of the budget, and small enough that a client alone can still send a largest body (no share when the budget is too small for that). A value at or above the budget turns the share off (e.g. behind a proxy that is not in BUN_INFER_TRUSTED_PROXIES, where every request has the proxy's IP); a value with which a client alone could never send a largest body stops startup."
  ),
  dataDir: Type.String({
    default: 'data',
    description: 'Folder for what the server keeps between restarts (the prediction log); created if missing, and must be writable.'
  }),
  predictionLog: Type.String({
    default: '',
    secret: true,
    description:
      'Where every answered image is recorded (time, model, top classes and scores, stage timings, batch size, cached, image SHA-256, hashed client; never the image): a SQLite file path, a postgres://user:password@host:5432/db URL (one log shared by replicas), off, or empty for prediction-log.sqlite under BUN_INFER_DATA_DIR. Read by GET /v1/models/{name}/monitoring.'
  }),
  predictionLogPoolSize: Int(
    1,
    64,
    4,
    'Connections to PostgreSQL when the prediction log is there (one write at a time per process, the rest for the monitoring summary).'
  ),
  predictionLogMaxAgeDays: Int(1, 3650, 30, 'Prediction log records older than this many days are deleted (checked every minute).'),
  predictionLogMaxRecords: Int(
    1000,
    1_000_000_000,
    1_000_000,
    'The prediction log keeps at most this many records; the oldest beyond go (checked every minute).'
  ),
  predictionLogBufferRecords: Int(
    100,
    1_000_000,
    20_000,
    'Records waiting to be written to the prediction log; while the store is slow or failing, records beyond this are dropped and counted (bun_infer_prediction_log_records_total), never a request slowed.'
  ),
  predictionLogFlushMs: Int(
    10,
    600_000,
    250,
    'Longest a record waits in memory before it is written to the prediction log (ms); 512 waiting records are written at once. A graceful stop writes what waits.'
  ),
  driftReferencePredictions: Int(
    10,
    10_000_000,
    1000,
    'The first this many predictions of a model version in the prediction log are its drift reference: what its traffic looked like when it started serving.'
  ),
  driftWindowMinutes: Int(1, 44_640, 60, 'Drift compares the predictions of this many last minutes with the reference.'),
  driftMinWindowPredictions: Int(
    1,
    10_000_000,
    100,
    'Drift is computed only when the window holds at least this many predictions: a sparse window looks shifted by chance.'
  ),
  driftIntervalMs: Int(1000, 3_600_000, 60_000, 'How often the drift gauges are computed from the prediction log (ms).'),
  monitoredLabels: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    default: [],
    maxItems: 100,
    description:
      'Labels whose time in the server gets its own series in bun_infer_prediction_duration_seconds (comma-separated, as the model names them, e.g. Egyptian Mau,espresso); every other label is counted as label="other". Each label costs 16 series per model version.'
  }),
  predictionEventsUrl: Type.String({
    default: '',
    secret: true,
    description:
      "Also send every answered image to this HTTP receiver as CloudEvents in KServe's inference logger format (a request and a response event; never the image). Empty: off."
  }),
  lowConfidence: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 0.5,
    description: 'A top-class probability below this counts as low confidence in the monitoring summary (a query may set its own).'
  }),
  jobs: Type.Boolean({
    default: true,
    description:
      'Whether the bulk job API is on (POST /v1/jobs and the rest): uploads are spooled to disk and jobs kept in jobs.sqlite under BUN_INFER_DATA_DIR, so a job accepted before a stop or a crash completes after the restart.'
  }),
  jobsRedisUrl: Type.String({
    default: '',
    secret: true,
    description:
      'A Redis (redis://user:password@host:6379) that keeps jobs, their images until classified, and their results, shared by replicas, with BullMQ handing the images out: every replica works on every job, and one that dies loses nothing. Its maxmemory-policy must be noeviction (checked at start): a Redis of its own, not the cache’s. Empty: the embedded store under BUN_INFER_DATA_DIR.'
  }),
  jobsStalledMs: Int(
    1000,
    600_000,
    30_000,
    'With BUN_INFER_JOBS_REDIS_URL: how long an image claimed by a replica that stopped answering (killed, frozen) stays claimed before another replica takes it, ms.'
  ),
  jobMaxBytes: Int(1 << 20, 2 ** 40, 2 ** 31, 'Largest upload of one job, bytes, counted as it arrives (413 job_too_large).'),
  jobMaxImages: Int(1, 10_000_000, 100_000, 'Most images in one job (413 too_many_images).'),
  jobsPerClient: Int(
    1,
    10_000,
    4,
    'Jobs one client (a verified API key when auth is on, else the IP) may have queued or running at once (429 too_many_jobs).'
  ),
  jobRetentionHours: Int(1, 24 * 365, 24, 'How long a finished (completed, failed or cancelled) job and its results stay readable, hours.'),
  jobBatchSize: Int(
    1,
    1024,
    4,
    "Most job images in one batch. Job images run only on workers no request's image is waiting for, so a request waits at most one such batch: smaller keeps request latency flat, larger suits hardware where batches are much cheaper per image."
  ),
  jobImagesInFlight: Int(
    0,
    100_000,
    0,
    'Job images read from the spool and decoded ahead of the workers at once; 0: four batches per worker (4 × BUN_INFER_WORKERS × BUN_INFER_JOB_BATCH_SIZE).'
  )
})

export type Config = Static<typeof ConfigSchema>
