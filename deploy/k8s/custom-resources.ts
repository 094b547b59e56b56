/**
 * Types for the custom resources we render, written by hand: @kubernetes/client-node types only the
 * built-in API. Each holds just the fields we set, named as the CRD names them.
 */
import type { V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node'

/** monitoring.coreos.com/v1 ServiceMonitor (Prometheus Operator). */
export interface ServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1'
  kind: 'ServiceMonitor'
  metadata: V1ObjectMeta
  spec: {
    selector: V1LabelSelector
    endpoints: Array<{ port: string; path: string; interval: string; scrapeTimeout?: string }>
  }
}

/** keda.sh/v1alpha1 ScaledObject with a Prometheus trigger. */
export interface ScaledObject {
  apiVersion: 'keda.sh/v1alpha1'
  kind: 'ScaledObject'
  metadata: V1ObjectMeta
  spec: {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string }
    minReplicaCount: number
    maxReplicaCount: number
    pollingInterval?: number
    cooldownPeriod?: number
    triggers: Array<{
      type: 'prometheus'
      metadata: { serverAddress: string; query: string; threshold: string; activationThreshold?: string }
    }>
  }
}

/** One rule of prometheus-adapter's config (the Helm chart's `rules.custom`). */
export interface PrometheusAdapterRule {
  seriesQuery: string
  resources: { overrides: Record<string, { resource: string }> }
  name: { matches: string; as: string }
  metricsQuery: string
}
