// Every branch of the start-up backend verdict: GPU in use, GPU disabled on purpose, no GPU prebuilt
// installed, and a fallback to the CPU with each likely reason.
import { describe, expect, it } from 'vitest';
import { fallbackReason, gpuBackendVerdict } from '../../runtime/engine/gpu-backend-verdict.js';
import type { GpuBackendFacts, GpuPrebuilt } from '../../runtime/engine/types.js';

const CUDA: GpuPrebuilt = { backend: 'cuda', packageName: '@node-llama-cpp/linux-x64-cuda' };
const VULKAN: GpuPrebuilt = { backend: 'vulkan', packageName: '@node-llama-cpp/linux-x64-vulkan' };

/** The CUDA image on a node without a usable GPU, unless overridden. */
function facts(overrides: Partial<GpuBackendFacts> = {}): GpuBackendFacts {
  return {
    installed: [CUDA],
    detected: [],
    used: false,
    disabled: false,
    devices: [],
    vramTotalBytes: 0,
    nvidiaVisibleDevices: undefined,
    ...overrides,
  };
}

describe('gpuBackendVerdict', () => {
  it('names the backend and the devices when a GPU is used', () => {
    const verdict = gpuBackendVerdict(
      facts({ detected: ['cuda'], used: 'cuda', devices: ['NVIDIA H200', 'NVIDIA H200'] }),
    );
    expect(verdict).toEqual({
      level: 'info',
      message: 'llama.cpp runs on cuda: NVIDIA H200, NVIDIA H200',
      fallback: false,
      skipped: [],
    });
  });

  it('names the backend alone when llama.cpp reports no device names', () => {
    expect(gpuBackendVerdict(facts({ installed: [VULKAN], used: 'vulkan' })).message).toBe(
      'llama.cpp runs on vulkan',
    );
  });

  it('is no fallback when GPU use was disabled on purpose, GPU prebuilts or not', () => {
    expect(gpuBackendVerdict(facts({ installed: [CUDA, VULKAN], disabled: true }))).toEqual({
      level: 'info',
      message: 'llama.cpp runs on CPU (GPU use disabled on purpose: gpu layers 0)',
      fallback: false,
      skipped: [],
    });
  });

  it('is no fallback when only the CPU prebuilt is installed (the CPU image)', () => {
    expect(gpuBackendVerdict(facts({ installed: [] }))).toEqual({
      level: 'info',
      message: 'llama.cpp runs on CPU (no GPU backend installed)',
      fallback: false,
      skipped: [],
    });
  });

  it('warns of a fallback, naming the prebuilt skipped, when no CUDA libraries were found', () => {
    const verdict = gpuBackendVerdict(facts());
    expect(verdict).toEqual({
      level: 'warn',
      message:
        'llama.cpp fell back to CPU: the cuda prebuilt (@node-llama-cpp/linux-x64-cuda) is installed but ' +
        'no NVIDIA driver or CUDA libraries were found (libnvidia-ml, libcuda, libcudart, libcublas, libcublasLt)',
      fallback: true,
      skipped: [{ ...CUDA, reason: 'libraries-not-found' }],
    });
  });

  it('names every installed GPU prebuilt skipped, each with its own reason', () => {
    const verdict = gpuBackendVerdict(facts({ installed: [CUDA, VULKAN], detected: ['vulkan'] }));
    expect(verdict.fallback).toBe(true);
    expect(verdict.skipped).toEqual([
      { ...CUDA, reason: 'libraries-not-found' },
      { ...VULKAN, reason: 'load-failed' },
    ]);
    expect(verdict.message).toBe(
      'llama.cpp fell back to CPU: ' +
        'the cuda prebuilt (@node-llama-cpp/linux-x64-cuda) is installed but no NVIDIA driver or CUDA ' +
        'libraries were found (libnvidia-ml, libcuda, libcudart, libcublas, libcublasLt); ' +
        'the vulkan prebuilt (@node-llama-cpp/linux-x64-vulkan) is installed but it failed to load or saw no device',
    );
  });

  it('blames the container when NVIDIA_VISIBLE_DEVICES exposes no GPU', () => {
    const verdict = gpuBackendVerdict(facts({ nvidiaVisibleDevices: 'void' }));
    expect(verdict.skipped).toEqual([{ ...CUDA, reason: 'no-device-visible' }]);
    expect(verdict.message).toContain(
      'the cuda prebuilt (@node-llama-cpp/linux-x64-cuda) is installed but no GPU is visible to the ' +
        'container (NVIDIA_VISIBLE_DEVICES=void)',
    );
  });

  it('says the CUDA binary failed when its libraries were found but it was not used', () => {
    const verdict = gpuBackendVerdict(facts({ detected: ['cuda'], nvidiaVisibleDevices: 'all' }));
    expect(verdict.skipped).toEqual([{ ...CUDA, reason: 'load-failed' }]);
    expect(verdict.message).toContain(
      'is installed but it failed to load or saw no device (driver older than the CUDA runtime, or no ' +
        'device visible: NVIDIA_VISIBLE_DEVICES=all)',
    );
  });
});

describe('fallbackReason', () => {
  it.each([
    [undefined, [], 'libraries-not-found'],
    ['all', [], 'libraries-not-found'],
    ['all', ['cuda'], 'load-failed'],
    ['0,1', ['cuda'], 'load-failed'],
    ['void', ['cuda'], 'no-device-visible'],
    ['none', [], 'no-device-visible'],
    ['', [], 'no-device-visible'],
  ] as const)('NVIDIA_VISIBLE_DEVICES=%s, detected %j → %s', (visible, detected, reason) => {
    expect(fallbackReason(CUDA, facts({ nvidiaVisibleDevices: visible, detected: [...detected] }))).toBe(
      reason,
    );
  });

  it('ignores NVIDIA_VISIBLE_DEVICES for a backend other than CUDA', () => {
    expect(fallbackReason(VULKAN, facts({ nvidiaVisibleDevices: 'void' }))).toBe('libraries-not-found');
  });
});
