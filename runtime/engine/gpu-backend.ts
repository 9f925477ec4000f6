// Finds out, once llama.cpp is loaded, which backend it runs on and what else could have been used:
// the GPU prebuilts installed, the GPU backends node-llama-cpp found drivers and libraries for, the
// devices and their VRAM. gpu-backend-verdict.ts turns these facts into the start-up log line.
import { getLlamaGpuTypes, getModuleVersion, type Llama } from 'node-llama-cpp';
import { gpuBackendVerdict } from './gpu-backend-verdict.js';
import type { GpuBackend, GpuBackendFacts, GpuBackendReport, GpuPrebuilt } from './types.js';

/**
 * node-llama-cpp's GPU prebuilt packages by `${process.platform}-${process.arch}` (its
 * getPrebuiltBinariesPackageDirectoryForBuildOptions, not exported); the CPU ones are not listed.
 */
const GPU_PREBUILTS: Readonly<Record<string, readonly GpuPrebuilt[]>> = {
  'linux-x64': [
    { backend: 'cuda', packageName: '@node-llama-cpp/linux-x64-cuda' },
    { backend: 'vulkan', packageName: '@node-llama-cpp/linux-x64-vulkan' },
  ],
  'win32-x64': [
    { backend: 'cuda', packageName: '@node-llama-cpp/win-x64-cuda' },
    { backend: 'vulkan', packageName: '@node-llama-cpp/win-x64-vulkan' },
  ],
  'darwin-arm64': [{ backend: 'metal', packageName: '@node-llama-cpp/mac-arm64-metal' }],
};

/** Whether node-llama-cpp would load this prebuilt: it imports the package and wants its own version. */
async function usable(prebuilt: GpuPrebuilt, version: string): Promise<boolean> {
  try {
    const module = (await import(prebuilt.packageName)) as {
      getBinsDir?: () => { packageVersion?: string };
    };
    return module.getBinsDir?.().packageVersion === version;
  } catch {
    return false; // not installed (optional dependency skipped, or an image that leaves it out)
  }
}

/** The GPU prebuilts installed for this platform, at node-llama-cpp's version. */
export async function installedGpuPrebuilts(): Promise<GpuPrebuilt[]> {
  const candidates = GPU_PREBUILTS[`${process.platform}-${process.arch}`] ?? [];
  const version = await getModuleVersion();
  const found = await Promise.all(candidates.map((prebuilt) => usable(prebuilt, version)));
  return candidates.filter((_, index) => found[index]);
}

/** The GPU backends whose driver and libraries node-llama-cpp finds: the only ones gpu 'auto' tries. */
async function detectedGpuBackends(): Promise<GpuBackend[]> {
  // getLlama with gpu 'auto' already ran this detection, and node-llama-cpp cached it: no cost.
  const types = await getLlamaGpuTypes('supported');
  return types.filter((type): type is GpuBackend => type !== false);
}

/**
 * Reports on `llama` as getLlama returned it. `disabled`: getLlama was asked for no GPU, so
 * node-llama-cpp did not look for drivers (and neither does this).
 */
export async function gpuBackendReport(
  llama: Llama,
  disabled: boolean,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<GpuBackendReport> {
  const used = llama.gpu;
  const [installed, detected, devices, vram] = await Promise.all([
    installedGpuPrebuilts(),
    disabled ? [] : detectedGpuBackends(),
    used === false ? [] : llama.getGpuDeviceNames(),
    used === false ? undefined : llama.getVramState(),
  ]);
  const facts: GpuBackendFacts = {
    installed,
    detected,
    used,
    disabled,
    devices,
    vramTotalBytes: vram?.total ?? 0,
    nvidiaVisibleDevices: env.NVIDIA_VISIBLE_DEVICES,
  };
  return { ...facts, ...gpuBackendVerdict(facts) };
}
