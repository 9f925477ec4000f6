// The GGUF writer against node-llama-cpp's independent GGUF reader: every value type we write must
// read back as written, and input llama.cpp would reject must be refused up front.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGguf, type GgufFile, type GgufTensor, gguf } from '../tools/tiny-model/gguf-writer.js';

const tensor = (name: string, dims: number[], data = new Float32Array(dims.reduce((a, b) => a * b, 1))) =>
  ({ name, dims, type: 'f32', data }) satisfies GgufTensor;

describe('GGUF writer', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubellama-gguf-writer-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let files = 0;
  async function readBack(file: GgufFile) {
    const path = join(dir, `${++files}.gguf`);
    await writeFile(path, encodeGguf(file));
    return readGgufFileInfo(path, { logWarnings: false });
  }

  it('writes every value type so that node-llama-cpp reads it back', async () => {
    const info = await readBack({
      metadata: [
        ['general.architecture', gguf.str('llama')],
        ['general.name', gguf.str('naïve ✓ unicode')],
        ['test.u32', gguf.u32(0xffff_ffff)],
        ['test.i32', gguf.i32(-123_456)],
        ['test.f32', gguf.f32(0.5)],
        ['test.yes', gguf.bool(true)],
        ['test.no', gguf.bool(false)],
        ['test.u32s', gguf.u32s([1, 2, 3])],
        ['test.i32s', gguf.i32s([-1, 0, 1])],
        ['test.f32s', gguf.f32s([0.25, -2])],
        ['test.strs', gguf.strs(['a', '', 'ü'])],
        ['test.empty', gguf.strs([])],
      ],
      tensors: [tensor('a', [3]), tensor('b', [5, 2], new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))],
    });

    expect(info.version).toBe(3);
    expect(info.metadata.general.name).toBe('naïve ✓ unicode');
    const test = (info.metadata as unknown as { test: Record<string, unknown> }).test;
    expect(test).toEqual({
      u32: 0xffff_ffff,
      i32: -123_456,
      f32: 0.5,
      yes: true,
      no: false,
      u32s: [1, 2, 3],
      i32s: [-1, 0, 1],
      f32s: [0.25, -2],
      strs: ['a', '', 'ü'],
      empty: [],
    });
    // Both tensors start on the default 32-byte alignment: 3 floats (12 bytes) are padded to 32.
    expect(info.tensorInfo?.map((t) => [t.name, t.dimensions.map(Number), Number(t.offset)])).toEqual([
      ['a', [3], 0],
      ['b', [5, 2], 32],
    ]);
    expect((info.infoEndOffset ?? 1) % 32).toBe(0);
  });

  it('lays tensor data out at the declared alignment', async () => {
    const data = new Float32Array([1.5, -2.5]);
    const bytes = encodeGguf({
      metadata: [['general.alignment', gguf.u32(64)]],
      tensors: [tensor('first', [1]), tensor('second', [2], data)],
    });
    const path = join(dir, 'aligned.gguf');
    await writeFile(path, bytes);
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const second = info.tensorInfo?.find((t) => t.name === 'second');

    expect(Number(second?.offset)).toBe(64);
    const at = Number(second?.fileOffset);
    expect(at % 64).toBe(0);
    expect([bytes.readFloatLE(at), bytes.readFloatLE(at + 4)]).toEqual([1.5, -2.5]);
    expect(bytes.length % 64).toBe(0);
  });

  it('refuses what llama.cpp would reject', () => {
    const ok: GgufFile = { metadata: [], tensors: [] };
    expect(() => encodeGguf({ ...ok, metadata: [['general.alignment', gguf.u32(24)]] })).toThrow(
      /power of two/,
    );
    expect(() => encodeGguf({ ...ok, metadata: [['general.alignment', gguf.i32(32)]] })).toThrow(/uint32/);
    expect(() =>
      encodeGguf({
        ...ok,
        metadata: [
          ['k', gguf.u32(1)],
          ['k', gguf.u32(2)],
        ],
      }),
    ).toThrow(/duplicate metadata key 'k'/);
    expect(() => encodeGguf({ ...ok, metadata: [['k', gguf.u32(-1)]] })).toThrow(/not a valid uint32/);
    expect(() => encodeGguf({ ...ok, metadata: [['k', gguf.i32(2 ** 31)]] })).toThrow(/not a valid int32/);
    expect(() => encodeGguf({ ...ok, metadata: [['k', gguf.u32s([1, 1.5])]] })).toThrow(/k\[1\]/);
    expect(() => encodeGguf({ ...ok, tensors: [tensor('t', [2, 2], new Float32Array(3))] })).toThrow(
      /need 4 values, got 3/,
    );
    expect(() => encodeGguf({ ...ok, tensors: [tensor('t', [1, 1, 1, 1, 1])] })).toThrow(/1 to 4 dims/);
    expect(() => encodeGguf({ ...ok, tensors: [tensor('x'.repeat(64), [1])] })).toThrow(/1 to 63 bytes/);
    expect(() => encodeGguf({ ...ok, tensors: [tensor('t', [1]), tensor('t', [1])] })).toThrow(
      /duplicate tensor 't'/,
    );
  });
});
