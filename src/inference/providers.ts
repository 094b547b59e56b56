/** onnxruntime-node's execution providers a setting may name (no onnxruntime import: config reads this). */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number]
