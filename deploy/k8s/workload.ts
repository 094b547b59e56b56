/** The server itself: Deployment, Service, PodDisruptionBudget and the ConfigMap of BUN_INFER_* settings. */
import type { V1ConfigMap, V1Deployment, V1PodDisruptionBudget, V1Probe, V1Service } from '@kubernetes/client-node'
import {
  APP,
  CACHE_NAMESPACE,
  DRAIN_TIMEOUT_MS,
  IMAGE,
  LABELS,
  OBJECT_META,
  PORT,
  PRESTOP_SLEEP_SECONDS,
  REPLICAS,
  RESOURCES,
  TERMINATION_GRACE_SECONDS,
  TRUSTED_PROXIES
} from './settings'

/** API keys live in this Secret (key `keys`, one key per line), created by the operator, never rendered here. */

/** Where each pod keeps its prediction log (an emptyDir: it lives as long as the pod). */
const DATA_DIR = '/var/lib/bun-infer'
export const API_KEYS_SECRET = `${APP}-api-keys`
const API_KEYS_DIR = '/etc/bun-infer/api-keys'
/**
 * The Redis URL with its password (key `url`, e.g. redis://bun-infer:<password>@bun-infer-redis:6379), created by
 * the operator: a Secret, not the ConfigMap, because whoever can write the cache can plant answers.
 */
export const REDIS_SECRET = `${APP}-redis`

export function configMap(): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: OBJECT_META,
    data: {
      BUN_INFER_WORKERS: '2',
      BUN_INFER_INTRA_OP_THREADS: '1',
      BUN_INFER_CACHE_NAMESPACE: CACHE_NAMESPACE,
      BUN_INFER_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
      // Only the ingress controller may name the client in X-Forwarded-For; none until settings.ts says what it is.
      BUN_INFER_TRUSTED_PROXIES: TRUSTED_PROXIES.join(','),
      BUN_INFER_API_KEYS_FILE: `${API_KEYS_DIR}/keys`,
      BUN_INFER_LOG_LEVEL: 'info',
      // The embedded prediction log, per pod, on an emptyDir (the root filesystem is read-only); bounded to fit it.
      BUN_INFER_DATA_DIR: DATA_DIR,
      BUN_INFER_PREDICTION_LOG_MAX_RECORDS: '1000000',
      // Bulk jobs need one store for every pod (docs/jobs.md): off until BUN_INFER_JOBS_REDIS_URL names a Redis of
      // their own that never evicts (from a Secret, like the cache's URL); then set this to true.
      BUN_INFER_JOBS: 'false'
    }
  }
}

const probe = (path: string, periodSeconds: number, failureThreshold: number): V1Probe => ({
  httpGet: { path, port: 'http' },
  periodSeconds,
  timeoutSeconds: 2,
  failureThreshold
})

export function deployment(): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: OBJECT_META,
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: LABELS },
      // A new pod is ready (models loaded) before an old one goes: capacity never dips.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: LABELS },
        spec: {
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: LABELS }
            }
          ],
          containers: [
            {
              name: APP,
              image: IMAGE,
              ports: [{ name: 'http', containerPort: PORT }],
              envFrom: [{ configMapRef: { name: APP } }],
              env: [
                { name: 'BUN_INFER_PORT', value: String(PORT) },
                { name: 'BUN_INFER_INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'BUN_INFER_REDIS_URL', valueFrom: { secretKeyRef: { name: REDIS_SECRET, key: 'url' } } }
              ],
              resources: RESOURCES,
              // Liveness: the process answers (also while models load). Readiness: models loaded, workers
              // alive, not draining; a single failure takes the pod out of the Service.
              livenessProbe: probe('/health/live', 10, 3),
              readinessProbe: probe('/health/ready', 5, 1),
              // Endpoints are removed while preStop sleeps, so no new request reaches a draining server;
              // then SIGTERM drains what was admitted (BUN_INFER_DRAIN_TIMEOUT_MS).
              lifecycle: { preStop: { sleep: { seconds: PRESTOP_SLEEP_SECONDS } } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'api-keys', mountPath: API_KEYS_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'data', mountPath: DATA_DIR }
              ]
            }
          ],
          volumes: [
            { name: 'api-keys', secret: { secretName: API_KEYS_SECRET } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            // About 0.5 KB a record: a million records and SQLite's write-ahead log fit.
            { name: 'data', emptyDir: { sizeLimit: '1Gi' } }
          ]
        }
      }
    }
  }
}

export function service(): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: OBJECT_META,
    spec: { selector: LABELS, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }
  }
}

/** Voluntary evictions (node drains, upgrades) take one pod at a time. */
export function podDisruptionBudget(): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: OBJECT_META,
    spec: { maxUnavailable: 1, selector: { matchLabels: LABELS } }
  }
}
