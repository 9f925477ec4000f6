// A LlamaModel spec that uses every scheduling feature (GPU count and product, user scheduling,
// resources, a user env override), shared by the suites that check the rendered pod.

export const GPU_SPEC = {
  model: { source: 'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0', cache: { size: '2Gi', storageClassName: 'fast' } },
  gpu: { count: 2, product: 'NVIDIA-H100-80GB-HBM3' },
  resources: { limits: { cpu: '4', memory: '8Gi' }, requests: { cpu: '2', memory: '4Gi' } },
  runtime: { env: [{ name: 'OTEL_SERVICE_NAME', value: 'custom' }] },
  scheduling: {
    nodeSelector: { pool: 'gpu' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }],
    runtimeClassName: 'kubellama-test-nvidia',
    priorityClassName: 'kubellama-test-inference',
  },
};
