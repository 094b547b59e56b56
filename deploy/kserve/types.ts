/** KServe's ServingRuntime and InferenceService, typed by hand over @kubernetes/client-node's core types. */
import type { V1Container, V1ObjectMeta, V1ResourceRequirements } from '@kubernetes/client-node'

/** serving.kserve.io/v1alpha1 ServingRuntime: how to run a server for some model formats. */
export interface ServingRuntime {
  apiVersion: 'serving.kserve.io/v1alpha1'
  kind: 'ServingRuntime'
  metadata: V1ObjectMeta
  spec: {
    supportedModelFormats: Array<{ name: string; version?: string; autoSelect?: boolean; priority?: number }>
    protocolVersions: Array<'v1' | 'v2' | 'grpc-v2'>
    containers: V1Container[]
  }
}

/** serving.kserve.io/v1beta1 InferenceService: one model, served by a runtime. */
export interface InferenceService {
  apiVersion: 'serving.kserve.io/v1beta1'
  kind: 'InferenceService'
  metadata: V1ObjectMeta
  spec: {
    predictor: {
      minReplicas?: number
      maxReplicas?: number
      model: {
        modelFormat: { name: string; version?: string }
        protocolVersion: 'v1' | 'v2'
        runtime: string
        storageUri: string
        resources?: V1ResourceRequirements
      }
    }
  }
}
