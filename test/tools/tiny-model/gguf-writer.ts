// A small, generic writer for GGUF v3 files, the format llama.cpp loads.
// Hand-written because the only maintained writer is llama.cpp's Python `gguf` package, and the
// test tools must not need Python. It supports just what our generated models use (little-endian,
// F32 tensors); everything it writes is read back by node-llama-cpp and loaded by llama.cpp in
// test/llama/tiny-model.test.ts, and it refuses input that llama.cpp would reject later.
//
// Layout (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
//   header:  "GGUF", u32 version, u64 tensor count, u64 metadata count
//   metadata: key string, u32 value type, value
//   tensor infos: name string, u32 n_dims, u64 dims[n_dims] (ne0 first), u32 ggml type, u64 offset
//   padding to the alignment, then each tensor's data at its offset, padded to the alignment too.

const GGUF_MAGIC = 'GGUF';
const GGUF_VERSION = 3;
/** The spec's default; a file may say otherwise in `general.alignment`. */
const DEFAULT_ALIGNMENT = 32;
/** llama.cpp keeps tensor names in a fixed char[64] (GGML_MAX_NAME), NUL included. */
const MAX_TENSOR_NAME_BYTES = 63;
/** ggml tensors have at most four dimensions (GGML_MAX_DIMS). */
const MAX_TENSOR_DIMS = 4;

/** GGUF metadata value types, numbered as in the spec (only those we write). */
const ValueType = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

/** ggml tensor types, numbered as in ggml.h (only those we write). */
const TensorType = { f32: 0 } as const;

export type GgufNumberType = 'uint32' | 'int32' | 'float32';

export type GgufArray =
  | { readonly itemType: GgufNumberType; readonly items: readonly number[] }
  | { readonly itemType: 'bool'; readonly items: readonly boolean[] }
  | { readonly itemType: 'string'; readonly items: readonly string[] };

export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | ({ readonly type: 'array' } & GgufArray);

/** Shorthands, so a model definition reads as a list of keys and typed values. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'uint32', value }),
  i32: (value: number): GgufValue => ({ type: 'int32', value }),
  f32: (value: number): GgufValue => ({ type: 'float32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  u32s: (items: readonly number[]): GgufValue => ({ type: 'array', itemType: 'uint32', items }),
  i32s: (items: readonly number[]): GgufValue => ({ type: 'array', itemType: 'int32', items }),
  f32s: (items: readonly number[]): GgufValue => ({ type: 'array', itemType: 'float32', items }),
  strs: (items: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', items }),
};

export interface GgufTensor {
  /** e.g. `blk.0.attn_q.weight`. */
  readonly name: string;
  /** ggml order: dims[0] (ne0) is the innermost, contiguous one, i.e. a row's length. */
  readonly dims: readonly number[];
  readonly type: keyof typeof TensorType;
  /** Row-major in ggml order: element (i0, i1) is at i1 * dims[0] + i0. */
  readonly data: Float32Array;
}

export interface GgufFile {
  /** Written in this order; keys must be unique. `general.alignment`, if set, must be a uint32. */
  readonly metadata: ReadonlyArray<readonly [string, GgufValue]>;
  /** Written in this order, data included. */
  readonly tensors: readonly GgufTensor[];
}

/** Collects little-endian fields into chunks; concatenated once at the end. */
class ByteSink {
  private readonly chunks: Buffer[] = [];
  length = 0;

  bytes(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  private fixed(size: number, write: (buf: Buffer) => void): void {
    const buf = Buffer.alloc(size);
    write(buf);
    this.bytes(buf);
  }

  u32(value: number): void {
    this.fixed(4, (b) => b.writeUInt32LE(value));
  }

  i32(value: number): void {
    this.fixed(4, (b) => b.writeInt32LE(value));
  }

  f32(value: number): void {
    this.fixed(4, (b) => b.writeFloatLE(value));
  }

  u64(value: number): void {
    this.fixed(8, (b) => b.writeBigUInt64LE(BigInt(value)));
  }

  bool(value: boolean): void {
    this.fixed(1, (b) => b.writeUInt8(value ? 1 : 0));
  }

  /** GGUF strings: u64 byte length, then UTF-8 without a terminator. */
  string(value: string): void {
    const utf8 = Buffer.from(value, 'utf8');
    this.u64(utf8.length);
    this.bytes(utf8);
  }

  padTo(alignment: number): void {
    const pad = paddingFor(this.length, alignment);
    if (pad > 0) this.bytes(Buffer.alloc(pad));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function paddingFor(offset: number, alignment: number): number {
  return (alignment - (offset % alignment)) % alignment;
}

function checkNumber(where: string, type: GgufNumberType, value: number): void {
  const ok =
    type === 'uint32'
      ? Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff
      : type === 'int32'
        ? Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff
        : Number.isFinite(value);
  if (!ok) throw new RangeError(`${where}: ${value} is not a valid ${type}`);
}

function writeNumber(sink: ByteSink, type: GgufNumberType, value: number): void {
  if (type === 'uint32') sink.u32(value);
  else if (type === 'int32') sink.i32(value);
  else sink.f32(value);
}

function writeValue(sink: ByteSink, key: string, value: GgufValue): void {
  sink.u32(ValueType[value.type]);
  switch (value.type) {
    case 'uint32':
    case 'int32':
    case 'float32':
      checkNumber(key, value.type, value.value);
      writeNumber(sink, value.type, value.value);
      return;
    case 'bool':
      sink.bool(value.value);
      return;
    case 'string':
      sink.string(value.value);
      return;
    case 'array':
      sink.u32(ValueType[value.itemType]);
      sink.u64(value.items.length);
      if (value.itemType === 'bool') for (const item of value.items) sink.bool(item);
      else if (value.itemType === 'string') for (const item of value.items) sink.string(item);
      else {
        const itemType = value.itemType;
        value.items.forEach((item, i) => {
          checkNumber(`${key}[${i}]`, itemType, item);
          writeNumber(sink, itemType, item);
        });
      }
      return;
  }
}

/** The alignment the file declares, checked the way llama.cpp checks it (a power of two). */
function alignmentOf(metadata: GgufFile['metadata']): number {
  const entry = metadata.find(([key]) => key === 'general.alignment');
  if (!entry) return DEFAULT_ALIGNMENT;
  const value = entry[1];
  if (value.type !== 'uint32') throw new TypeError('general.alignment must be a uint32');
  const alignment = value.value;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`general.alignment must be a power of two, got ${alignment}`);
  }
  return alignment;
}

function checkTensor(tensor: GgufTensor): void {
  const { name, dims, data } = tensor;
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > MAX_TENSOR_NAME_BYTES) {
    throw new RangeError(`tensor name must be 1 to ${MAX_TENSOR_NAME_BYTES} bytes: '${name}'`);
  }
  if (dims.length === 0 || dims.length > MAX_TENSOR_DIMS) {
    throw new RangeError(`${name}: needs 1 to ${MAX_TENSOR_DIMS} dims, got ${dims.length}`);
  }
  if (!dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${name}: dims must be positive integers, got [${dims.join(', ')}]`);
  }
  const elements = dims.reduce((a, b) => a * b, 1);
  if (data.length !== elements) {
    throw new RangeError(`${name}: dims [${dims.join(', ')}] need ${elements} values, got ${data.length}`);
  }
}

/** Serialises a complete GGUF v3 file. Same input, same bytes. */
export function encodeGguf(file: GgufFile): Buffer {
  const alignment = alignmentOf(file.metadata);

  const keys = new Set<string>();
  for (const [key] of file.metadata) {
    if (key.length === 0) throw new RangeError('metadata key must not be empty');
    if (keys.has(key)) throw new Error(`duplicate metadata key '${key}'`);
    keys.add(key);
  }
  const names = new Set<string>();
  for (const tensor of file.tensors) {
    checkTensor(tensor);
    if (names.has(tensor.name)) throw new Error(`duplicate tensor '${tensor.name}'`);
    names.add(tensor.name);
  }

  const sink = new ByteSink();
  sink.bytes(Buffer.from(GGUF_MAGIC, 'ascii'));
  sink.u32(GGUF_VERSION);
  sink.u64(file.tensors.length);
  sink.u64(file.metadata.length);
  for (const [key, value] of file.metadata) {
    sink.string(key);
    writeValue(sink, key, value);
  }

  // Offsets are relative to the start of the data section; each tensor starts aligned.
  let offset = 0;
  for (const tensor of file.tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(TensorType[tensor.type]);
    sink.u64(offset);
    const size = tensor.data.length * 4;
    offset += size + paddingFor(size, alignment);
  }
  sink.padTo(alignment);

  for (const tensor of file.tensors) {
    // Copy through writeFloatLE-equivalent bytes so the output does not depend on host endianness.
    const bytes = Buffer.alloc(tensor.data.length * 4);
    tensor.data.forEach((value, i) => {
      bytes.writeFloatLE(value, i * 4);
    });
    sink.bytes(bytes);
    sink.padTo(alignment);
  }
  return sink.toBuffer();
}
