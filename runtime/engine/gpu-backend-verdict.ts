// Which llama.cpp backend the runtime runs on, said once at start-up: the GPU and its devices, the CPU
// on purpose or for want of a GPU prebuilt, or a fallback to the CPU with the likely reason for each
// GPU prebuilt that was installed but not used. Pure: gpu-backend.ts gathers the facts.
import type { GpuBackendFacts, GpuBackendVerdict, GpuFallbackReason, GpuPrebuilt } from './types.js';

/** NVIDIA_VISIBLE_DEVICES values with which the NVIDIA container runtime exposes no GPU. */
const NO_VISIBLE_DEVICE = new Set(['', 'void', 'none']);

/** The libraries node-llama-cpp looks for before it tries a backend's prebuilt at all. */
const LIBRARIES: Readonly<Record<GpuPrebuilt['backend'], string>> = {
  cuda: 'no NVIDIA driver or CUDA libraries were found (libnvidia-ml, libcuda, libcudart, libcublas, libcublasLt)',
  vulkan: 'no Vulkan loader was found (libvulkan)',
  metal: 'Metal is not available',
};

export function fallbackReason(prebuilt: GpuPrebuilt, facts: GpuBackendFacts): GpuFallbackReason {
  // Checked first: without a visible device the container runtime mounts no driver either, and
  // "no GPU assigned" is the cause to fix, not the missing libraries.
  if (prebuilt.backend === 'cuda' && NO_VISIBLE_DEVICE.has(facts.nvidiaVisibleDevices ?? 'unset'))
    return 'no-device-visible';
  return facts.detected.includes(prebuilt.backend) ? 'load-failed' : 'libraries-not-found';
}

function explain(prebuilt: GpuPrebuilt, reason: GpuFallbackReason, facts: GpuBackendFacts): string {
  const visible = `NVIDIA_VISIBLE_DEVICES=${facts.nvidiaVisibleDevices ?? '(unset)'}`;
  switch (reason) {
    case 'no-device-visible':
      return `no GPU is visible to the container (${visible})`;
    case 'libraries-not-found':
      return LIBRARIES[prebuilt.backend];
    case 'load-failed':
      // node-llama-cpp found the libraries and tried the binary: it failed its self-test or saw no device.
      return prebuilt.backend === 'cuda'
        ? `it failed to load or saw no device (driver older than the CUDA runtime, or no device visible: ${visible})`
        : 'it failed to load or saw no device';
  }
}

export function gpuBackendVerdict(facts: GpuBackendFacts): GpuBackendVerdict {
  if (facts.used !== false) {
    const devices = facts.devices.length > 0 ? `: ${facts.devices.join(', ')}` : '';
    return {
      level: 'info',
      message: `llama.cpp runs on ${facts.used}${devices}`,
      fallback: false,
      skipped: [],
    };
  }
  if (facts.disabled) {
    return {
      level: 'info',
      message: 'llama.cpp runs on CPU (GPU use disabled on purpose: gpu layers 0)',
      fallback: false,
      skipped: [],
    };
  }
  if (facts.installed.length === 0) {
    return {
      level: 'info',
      message: 'llama.cpp runs on CPU (no GPU backend installed)',
      fallback: false,
      skipped: [],
    };
  }
  const skipped = facts.installed.map((prebuilt) => ({
    ...prebuilt,
    reason: fallbackReason(prebuilt, facts),
  }));
  const why = skipped.map(
    (s) => `the ${s.backend} prebuilt (${s.packageName}) is installed but ${explain(s, s.reason, facts)}`,
  );
  return { level: 'warn', message: `llama.cpp fell back to CPU: ${why.join('; ')}`, fallback: true, skipped };
}
