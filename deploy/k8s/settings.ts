/**
 * What every manifest agrees on: names, the image, the port, and the sizing of docs/performance.md
 * (one process per 2 cores, 2 workers × 1 intra-op thread).
 */
export const APP = 'bun-infer'
export const NAMESPACE = 'bun-infer'
/** Built from the repository's Dockerfile and pushed by the operator; the tag is the package version. */
export const IMAGE = 'ghcr.io/bun-infer/bun-infer:0.1.0'
export const PORT = 8080
export const REPLICAS = 3
export const MAX_REPLICAS = 20

export const LABELS = { 'app.kubernetes.io/name': APP, 'app.kubernetes.io/component': 'inference-server' }
/** Name, namespace and labels of every object we render (each kind has one object, named after the app). */
export const OBJECT_META = { name: APP, namespace: NAMESPACE, labels: LABELS }
/**
 * Proxies whose X-Forwarded-For names the client (BUN_INFER_TRUSTED_PROXIES). None by default: the client is then
 * the socket peer (behind an ingress, its pod, so every client shares one identity for the rate limit, which is
 * off by default). Name only what nothing but the ingress controller can be: its pod IPs if pinned, the pod CIDR
 * of nodes that run nothing else, or their node IPs for a hostNetwork controller. Never the cluster's pod
 * network: any pod there could then claim to be any client.
 */
export const TRUSTED_PROXIES: readonly string[] = []

/** BUN_INFER_CACHE_NAMESPACE: this deployment's prefix in Redis (its Redis user may touch `<namespace>:*` only). */
export const CACHE_NAMESPACE = NAMESPACE

/** What the autoscalers scale. */
export const DEPLOYMENT_REF = { apiVersion: 'apps/v1', kind: 'Deployment', name: APP }

/** BUN_INFER_DRAIN_TIMEOUT_MS: how long a SIGTERMed pod lets admitted requests finish. */
export const DRAIN_TIMEOUT_MS = 30_000
/** preStop sleep: the endpoint leaves every Service and Ingress before the server starts to drain. */
export const PRESTOP_SLEEP_SECONDS = 10
/** Kubernetes SIGKILLs only after preStop + the whole drain + a margin. */
export const TERMINATION_GRACE_SECONDS = PRESTOP_SLEEP_SECONDS + DRAIN_TIMEOUT_MS / 1000 + 5

/** Pod resources: the 2-core shape; the memory limit above the worst-case peak of docs/performance.md#sizing. */
export const RESOURCES = {
  requests: { cpu: '2', memory: '768Mi' },
  // No CPU limit: CFS throttling would stall a running batch mid-inference; the request reserves the cores.
  limits: { memory: '1Gi' }
}

/**
 * The autoscaling signal: images admitted and not yet answered (waiting to decode, decoding, queued, running),
 * summed over the replicas. Not the queue depth alone: only a few batches are decoded ahead of the workers, so under
 * a flood of small photos the queue stays short while the backlog waits encoded.
 */
export const BACKLOG_QUERY = `sum(bun_infer_backlog_images{job="${APP}"})`
/**
 * Target backlog per replica: a fraction of a second of work for 2 workers. A backlog that stays above it means the
 * replicas are saturated (the alert fires at 205, 80 % of the 256 a model's queue admits).
 */
export const BACKLOG_TARGET_PER_REPLICA = 32

/** Where Prometheus answers inside the cluster (kube-prometheus-stack's default Service). */
export const PROMETHEUS_URL = 'http://prometheus-operated.monitoring.svc:9090'
