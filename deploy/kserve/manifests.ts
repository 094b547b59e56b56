/**
 * bun-infer as a KServe serving runtime speaking the Open Inference Protocol (v2): KServe probes
 * /v2/health/live and /v2/health/ready and sends /v2/models/{name}/infer, all served by src/http/routes/v2.ts
 * (test/deploy/manifests.test.ts checks every probed path against the app).
 */
import { IMAGE, PORT, RESOURCES } from '../k8s/settings'
import type { InferenceService, ServingRuntime } from './types'

const RUNTIME = 'bun-infer'
/** KServe's storage initializer downloads storageUri here; it must hold our model repository layout. */
const MODEL_DIR = '/mnt/models'

export function servingRuntime(): ServingRuntime {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ServingRuntime',
    metadata: { name: RUNTIME },
    spec: {
      supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true, priority: 1 }],
      protocolVersions: ['v2'],
      containers: [
        {
          name: 'kserve-container',
          image: IMAGE,
          ports: [{ containerPort: PORT, protocol: 'TCP' }],
          env: [
            { name: 'BUN_INFER_PORT', value: String(PORT) },
            // A repository with one folder per model (model.onnx, model.json, labels), as models/ in this repo.
            { name: 'BUN_INFER_MODELS_DIR', value: MODEL_DIR }
          ],
          resources: RESOURCES,
          readinessProbe: { httpGet: { path: '/v2/health/ready', port: PORT }, periodSeconds: 5, failureThreshold: 1 },
          livenessProbe: { httpGet: { path: '/v2/health/live', port: PORT }, periodSeconds: 10, failureThreshold: 3 },
          securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false }
        }
      ]
    }
  }
}

export function inferenceService(): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'mobilenetv2' },
    spec: {
      predictor: {
        minReplicas: 1,
        maxReplicas: 10,
        model: {
          modelFormat: { name: 'onnx', version: '1' },
          protocolVersion: 'v2',
          runtime: RUNTIME,
          // Replace with where your copy of the model repository lives (s3://, gs://, pvc://).
          storageUri: 's3://example-bucket/bun-infer/models',
          resources: RESOURCES
        }
      }
    }
  }
}
