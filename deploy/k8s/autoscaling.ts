/**
 * Scaling on the queue: two ways, pick one (KEDA makes an HPA of its own; never deploy both).
 * - KEDA: a ScaledObject queries Prometheus directly.
 * - Plain HPA v2 on a Pods metric that prometheus-adapter serves from the same series.
 */
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node'
import type { PrometheusAdapterRule, ScaledObject } from './custom-resources'
import { DEPLOYMENT_REF, MAX_REPLICAS, OBJECT_META, PROMETHEUS_URL, BACKLOG_QUERY, BACKLOG_TARGET_PER_REPLICA, REPLICAS } from './settings'

const BACKLOG_METRIC = 'bun_infer_backlog_images'

export function scaledObject(): ScaledObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: OBJECT_META,
    spec: {
      scaleTargetRef: DEPLOYMENT_REF,
      minReplicaCount: REPLICAS,
      maxReplicaCount: MAX_REPLICAS,
      pollingInterval: 15,
      cooldownPeriod: 300,
      triggers: [
        {
          type: 'prometheus',
          // KEDA divides the query's value by the replica count and compares it with the threshold.
          metadata: { serverAddress: PROMETHEUS_URL, query: BACKLOG_QUERY, threshold: String(BACKLOG_TARGET_PER_REPLICA) }
        }
      ]
    }
  }
}

export function horizontalPodAutoscaler(): V2HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: OBJECT_META,
    spec: {
      scaleTargetRef: DEPLOYMENT_REF,
      minReplicas: REPLICAS,
      maxReplicas: MAX_REPLICAS,
      metrics: [
        {
          type: 'Pods',
          pods: {
            metric: { name: BACKLOG_METRIC },
            target: { type: 'AverageValue', averageValue: String(BACKLOG_TARGET_PER_REPLICA) }
          }
        }
      ],
      // Up fast (a queue grows in seconds), down slowly (a new pod costs a model load).
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 30 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }
      }
    }
  }
}

/** prometheus-adapter's rule serving bun_infer_backlog_images per pod (summed over models) to the HPA above. */
export function prometheusAdapterRules(): { rules: { custom: PrometheusAdapterRule[] } } {
  return {
    rules: {
      custom: [
        {
          seriesQuery: `${BACKLOG_METRIC}{namespace!="",pod!=""}`,
          resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
          name: { matches: `^${BACKLOG_METRIC}$`, as: BACKLOG_METRIC },
          metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
        }
      ]
    }
  }
}
