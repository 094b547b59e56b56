import { Type, type Static } from '@sinclair/typebox'
import { CACHE_NAMESPACE_PATTERN } from '../cache/namespace'

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
  port: Int(0, 65535, 8080, 'TCP port; 0 picks a free one.'),
  modelsDir: Type.String({ default: 'models', description: 'Model repository: one folder per model.' }),
  defaultModel: Type.String({ default: 'mobilenetv2', description: 'Model served by POST /v1/predict.' }),
  workers: Int(1, 64, 2, 'Inference worker threads (each holds one session per model).'),
  intraOpThreads: Int(1, 64, 1, 'onnxruntime intra-op threads per session.'),
  loneIntraOpThreads: Int(
    0,
    64,
    0,
    'Intra-op threads of a second session per worker and model, used for a batch that starts while no other worker is busy, so a lone request gets every core; 0: one per CPU core; not more than intraOpThreads: no second session.'
  ),
  intraOpSpinning: Type.Boolean({
    default: false,
    description:
      "onnxruntime's busy-wait of idle intra-op threads (session.intra_op.allow_spinning, onnxruntime's default on). Off: spare threads sleep and leave the CPU to decoding and the other workers."
  }),
  loneIntraOpSpinning: Type.Boolean({
    default: true,
    description:
      "The lone session's intra-op threads busy-wait between the steps of its run and stop when the run returns (session.force_spinning_stop), so they take no CPU between requests; it only runs while no other worker is busy. Off: they sleep, as intraOpSpinning=false."
  }),
  maxBatchSize: Int(0, 1024, 0, "Cap on every model's batch size; 0 keeps each manifest's value."),
  maxBatchDelayMs: Int(-1, 10_000, -1, "Batch window in ms for every model; -1 keeps each manifest's value."),
  modelInstances: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}=[0-9]{1,4}$' }), {
    default: [],
    description:
      "Per-model instance counts as name=count (comma-separated in the env var), overriding the manifests' instances: how many workers hold a session of that model; 0: every worker."
  }),
  modelMaxBatchSize: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}=[0-9]{1,4}$' }), {
    default: [],
    description:
      "Per-model batch size as name=N (comma-separated in the env var), in place of maxBatchSize for that model; at most the manifest's (what the graph takes)."
  }),
  modelMaxBatchDelayMs: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}=[0-9]{1,5}$' }), {
    default: [],
    description: 'Per-model batch window in ms as name=N (comma-separated in the env var), in place of maxBatchDelayMs for that model.'
  }),
  maxConcurrentDecodes: Int(0, 1024, 0, 'Images decoded at once (sharp); 0 means one per CPU core. More only adds contention and memory.'),
  batchWatchdogMs: Int(
    0,
    600_000,
    10_000,
    'A batch running longer than this (ms) means a wedged worker: it is terminated and replaced, its batch gets 503 worker_lost. 0 turns the watchdog off.'
  ),
  maxQueueImages: Int(1, 1_000_000, 256, 'Images waiting per model before 429 queue_full.'),
  bodyTimeoutMs: Int(
    1,
    600_000,
    10_000,
    'A predict body not fully received within this many ms gets 408 body_timeout (slow or stalled clients).'
  ),
  requestTimeoutMs: Int(1, 600_000, 30_000, 'Default deadline of a predict request, ms. A client header can only shorten it.'),
  maxBodyBytes: Int(1024, 1 << 30, 32 * 1024 * 1024, 'Largest request body, bytes (413 payload_too_large).'),
  maxImageBytes: Int(16, 1 << 30, 16 * 1024 * 1024, 'Largest single encoded image, bytes (413 image_too_large).'),
  maxImagePixels: Int(1, 1 << 30, 40_000_000, 'Largest decoded image, width × height pixels (413 image_too_large).'),
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
  defaultTopK: Int(1, 1000, 5, 'Labels returned per image when top_k is not given.'),
  corsOrigins: Type.Array(Type.String(), {
    default: [],
    description: 'Allowed CORS origins, comma-separated in the env var; "*" only if listed. Empty: no CORS headers.'
  }),
  maxCacheEntries: Int(0, 10_000_000, 10_000, 'Result cache entries in process; 0 turns the cache off.'),
  maxCacheBytes: Int(1024, 1 << 30, 64 * 1024 * 1024, 'Result cache size in process, bytes.'),
  cacheTtlMs: Int(1, 30 * 24 * 3600 * 1000, 3_600_000, 'Result cache entry lifetime (both tiers), ms.'),
  redisUrl: Type.String({
    default: '',
    secret: true, // its password
    description:
      'Shared result cache tier (redis://user:password@host:port: an ACL user confined to <cacheNamespace>:*), so replicas share results; REDIS_URL is read too. Empty: local only.'
  }),
  redisTimeoutMs: Int(1, 10_000, 30, 'Longest a request waits for the shared cache tier before it computes the answer, ms.'),
  cacheNamespace: Type.String({
    default: 'bun-infer',
    pattern: CACHE_NAMESPACE_PATTERN,
    description:
      'Prefix of every shared-tier key (<namespace>:result:…), one per deployment sharing a Redis (e.g. staging, production), so they never answer for each other; letters, digits, _ . - only.'
  }),
  apiKeys: Type.Array(Type.String({ minLength: 16 }), {
    default: [],
    secret: true,
    description: 'API keys (comma-separated in the env var, each ≥ 16 characters). Empty with no keys file: no auth.'
  }),
  apiKeysFile: Type.String({ default: '', description: 'File with one API key per line (# comments allowed), read at startup.' }),
  exemptPaths: Type.Array(Type.String(), {
    default: ['/health', '/metrics', '/docs', '/openapi.json', '/', '/try-it', '/samples'],
    description:
      'Path prefixes served without an API key and outside the rate limit; "/" is the try-it page alone, not a prefix of every path.'
  }),
  maxInFlightPerClient: Int(
    0,
    1_000_000,
    0,
    'Predict requests one client (a verified API key when auth is on, else IP) may have in flight at once (429 too_many_in_flight beyond); 0 is no cap. Off by default: behind a load balancer every request has the same IP.'
  ),
  rateLimitPerSecond: Type.Number({
    minimum: 0,
    default: 0,
    description: 'Requests per second per client (a verified API key when auth is on, else IP); 0 turns the limit off.'
  }),
  rateLimitBurst: Int(1, 1_000_000, 20, 'Requests a client may send at once before the per-second rate applies.'),
  otlpEndpoint: Type.String({
    default: '',
    description:
      'OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); empty turns tracing off. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, is read too.'
  }),
  otlpHeaders: Type.String({
    default: '',
    secret: true, // collectors take their API tokens here
    description: 'Headers sent to the collector, key=value,key2=value2 (OTEL_EXPORTER_OTLP_HEADERS is read too).'
  }),
  serviceName: Type.String({
    minLength: 1,
    default: 'bun-infer',
    description: 'service.name of the spans (OTEL_SERVICE_NAME is read too).'
  }),
  tracesSampler: Type.Union(
    TRACES_SAMPLERS.map((name) => Type.Literal(name)),
    { default: 'parentbased_always_on', description: 'Which requests are traced, as OTEL_TRACES_SAMPLER (read too).' }
  ),
  tracesSamplerArg: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 1,
    description: 'Ratio for the traceidratio samplers, 0–1 (OTEL_TRACES_SAMPLER_ARG is read too).'
  }),
  drainTimeoutMs: Int(0, 600_000, 30_000, 'On SIGTERM/SIGINT, how long queued and in-flight requests may take before exit.'),
  enableFaultInjection: Type.Boolean({
    default: false,
    description: 'Test only: honour the x-bun-infer-fault header (crash or hang a worker mid-batch, or throw). Never enable in production.'
  }),
  trustedProxies: Type.Array(Type.String(), {
    default: [],
    description:
      'Proxies (IPs or CIDRs, comma-separated in the env var) whose X-Forwarded-For names the client for the rate limit and the per-client cap. Empty: the socket address is the client and X-Forwarded-For is ignored.'
  }),
  reusePort: Type.Boolean({
    default: false,
    description:
      'Listen with SO_REUSEPORT, so several server processes on one host share the port and the kernel spreads connections over them (Linux).'
  }),
  instanceId: Type.String({
    default: '',
    description:
      'Name of this replica, sent as the x-served-by response header (which replica answered, behind a load balancer). Empty: no header.'
  }),
  repositoryApi: Type.Boolean({
    default: false,
    description: 'Serve the repository extension (POST /v2/repository/index, …/models/{m}/load, …/unload). Needs adminKeys.'
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
    description: 'Keys for the repository extension only (comma-separated, each ≥ 16 characters); inference API keys never open it.'
  }),
  logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], {
    default: 'info',
    description: 'Lowest log level written (JSON lines on stdout).'
  }),
  bodyBudgetBytes: Int(
    0,
    2 ** 40,
    0,
    'Request-body bytes in flight across all requests (429 body_budget_full beyond, before reading). 0 derives it: an eighth of the cgroup memory limit (else of the RAM), capped at 96 MiB, at least maxBodyBytes × 4/3.'
  ),
  bodyBudgetPerClientBytes: Int(
    0,
    2 ** 40,
    0,
    "Body bytes one client (a verified API key when auth is on, else IP) may hold in the body budget; beyond them it may only use room that leaves this much free for other clients (429 body_budget_full). 0 derives it: a quarter of the budget, at least maxBodyBytes + 1 MiB. A value at or above the budget turns the share off (e.g. behind a proxy that is not in trustedProxies, where every request has the proxy's IP)."
  )
})

export type Config = Static<typeof ConfigSchema>
