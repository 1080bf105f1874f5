/**
 * Reading and writing the safetensors format (Hugging Face): an 8-byte little-endian header
 * length `n`, `n` bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`,
 * then the raw little-endian data. Nothing is ever unpickled.
 *
 * Reading is strict: a header that runs past the file, offsets that overlap, leave holes, lie
 * outside the data or disagree with dtype × shape are errors naming the file and the tensor.
 * F32 is read as is, F16 and BF16 are widened to float32, I32 and I64 are read as int32 (an I64
 * value outside the int32 range is an error).
 *
 * @module
 */
import { writeFileAtomic } from "../train/atomic_file.ts";

/** The safetensors dtypes loradrop reads. */
export type SafetensorsDtype = "F32" | "F16" | "BF16" | "I32" | "I64";

/** Every dtype loradrop reads, with its size in bytes. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  I32: 4,
  I64: 8,
};

/** One decoded tensor: the stored dtype, its shape, and the values (floats widened to float32). */
export interface SafetensorsEntry {
  /** The dtype as stored in the file. */
  readonly dtype: SafetensorsDtype;
  /** The shape (row-major). */
  readonly shape: readonly number[];
  /** The values: float32 for float dtypes, int32 for integer dtypes. */
  readonly data: Float32Array | Int32Array;
}

/** A decoded safetensors file. */
export interface SafetensorsFile {
  /** The tensors in file order (by data offset). */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  /** The optional `__metadata__` string map. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** One tensor to write: float data is written as F32, int32 data as I32 unless `dtype` says I64. */
export interface SafetensorsInput {
  /** The shape (row-major); its product must equal `data.length`. */
  readonly shape: readonly number[];
  /** The values. */
  readonly data: Float32Array | Int32Array;
  /** The stored dtype: `F32` (default for Float32Array), `I32` (default for Int32Array) or `I64`. */
  readonly dtype?: "F32" | "I32" | "I64";
}

/** The header of a safetensors file, as checked by {@linkcode parseSafetensorsHeader}. */
export interface SafetensorsHeader {
  /** Per tensor: dtype, shape and byte range inside the data section. */
  readonly entries: ReadonlyMap<
    string,
    {
      readonly dtype: SafetensorsDtype;
      readonly shape: readonly number[];
      readonly begin: number;
      readonly end: number;
    }
  >;
  /** The optional `__metadata__` string map. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Byte offset of the data section in the file (8 + header length). */
  readonly dataStart: number;
  /** Byte length of the data section the header describes. */
  readonly dataLength: number;
}

const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(source: string, what: string): never {
  throw new Error(`Cannot read safetensors file ${source}: ${what}`);
}

/**
 * Parses and checks the header of a safetensors file. `fileLength` is the whole file's length
 * (the header alone may be passed as `bytes` when the data section is not loaded yet).
 *
 * @param bytes At least the first `8 + n` bytes of the file.
 * @param source The file's name, for error messages.
 * @param fileLength The whole file's byte length; defaults to `bytes.length`.
 * @returns The checked header.
 * @example
 * ```ts
 * import { parseSafetensorsHeader, serializeSafetensors } from "@loradrop/core/io";
 * import { assertEquals, assertThrows } from "@std/assert";
 * const bytes = serializeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
 * assertEquals(parseSafetensorsHeader(bytes, "w.safetensors").entries.get("w")?.shape, [2]);
 * assertThrows(() => parseSafetensorsHeader(bytes.subarray(0, bytes.length - 1), "w.safetensors"), Error, "w.safetensors");
 * ```
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  source: string,
  fileLength: number = bytes.length,
): SafetensorsHeader {
  if (fileLength < 8 || bytes.length < 8) {
    fail(source, `the file has ${fileLength} bytes, fewer than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(fileLength - 8)) {
    fail(source, `the header length ${n64} runs past the end of the file (${fileLength} bytes)`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) {
    fail(source, `the header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
  }
  if (bytes.length < 8 + n) {
    fail(source, `only ${bytes.length} bytes were given, the header needs ${8 + n}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (error) {
    fail(source, `the header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    fail(source, "the header is not a JSON object");
  }
  const dataStart = 8 + n;
  const dataLength = fileLength - dataStart;
  let metadata: Record<string, string> = {};
  const raw: {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        fail(source, "__metadata__ must be an object of strings");
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") {
          fail(source, `__metadata__ value "${k}" must be a string, received ${JSON.stringify(v)}`);
        }
      }
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    if (value === null || typeof value !== "object") {
      fail(source, `tensor "${name}" has no {dtype, shape, data_offsets} entry`);
    }
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in SAFETENSORS_DTYPE_BYTES)) {
      fail(
        source,
        `tensor "${name}" has dtype ${JSON.stringify(dtype)}; supported: ${
          Object.keys(SAFETENSORS_DTYPE_BYTES).join(", ")
        }`,
      );
    }
    if (
      !Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
    ) {
      fail(source, `tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of sizes`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      fail(
        source,
        `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) {
      fail(source, `tensor "${name}" has data_offsets [${begin}, ${end}] with end < begin`);
    }
    if (end > dataLength) {
      fail(
        source,
        `tensor "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section`,
      );
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1) *
      SAFETENSORS_DTYPE_BYTES[dtype as SafetensorsDtype];
    if (end - begin !== size) {
      fail(
        source,
        `tensor "${name}" spans ${end - begin} bytes but ${dtype} × [${
          (shape as number[]).join(", ")
        }] needs ${size}`,
      );
    }
    raw.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = "";
  for (const e of raw) {
    if (e.begin < cursor) {
      fail(
        source,
        `tensor "${e.name}" overlaps tensor "${previous}" (bytes ${e.begin} < ${cursor})`,
      );
    }
    if (e.begin > cursor) {
      fail(source, `tensor "${e.name}" starts at byte ${e.begin}, leaving a hole after ${cursor}`);
    }
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== dataLength) {
    fail(source, `the tensors cover ${cursor} bytes but the data section has ${dataLength}`);
  }
  const entries = new Map(
    raw.map((e) => [e.name, { dtype: e.dtype, shape: e.shape, begin: e.begin, end: e.end }]),
  );
  return { entries, metadata, dataStart, dataLength };
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(
  bytes: Uint8Array,
  dtype: SafetensorsDtype,
  count: number,
  name: string,
  source: string,
): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "F32": {
      if (LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case "I32": {
      if (LITTLE_ENDIAN) return new Int32Array(bytes.slice().buffer, 0, count);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
      return out;
    }
    case "BF16": {
      const out = new Float32Array(count);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(2 * i, true) << 16); // bf16 = the high half of an f32
        out[i] = tmp.getFloat32(0);
      }
      return out;
    }
    case "I64": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) {
          fail(source, `tensor "${name}" holds the I64 value ${v} at index ${i}, outside int32`);
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/**
 * The largest magnitude {@linkcode checkWeightValues} accepts by default. Trained weights stay far
 * below it (USE-lite's largest is under 50, BERT's and GPT-2's under 1,000); a flipped exponent
 * bit in a float32 turns a small weight into something like 1e38.
 */
export const MAX_WEIGHT_MAGNITUDE = 1e6;

/** Options of {@linkcode checkWeightValues}. */
export interface WeightValueCheck {
  /** The weight's name, for the message. */
  readonly name: string;
  /** The file it came from, for the message. */
  readonly source: string;
  /** The stored dtype, when known: it must be a float dtype (F32, F16, BF16, or `float32`). */
  readonly dtype?: string;
  /** The largest accepted magnitude; {@linkcode MAX_WEIGHT_MAGNITUDE} by default. */
  readonly maxAbs?: number;
}

const FLOAT_DTYPES = new Set(["F32", "F16", "BF16", "float32"]);

/**
 * Checks the values of a weight before a model uses them: a float dtype, no NaN or ±Infinity, and
 * no magnitude above `maxAbs` (a corrupt file, or one saved from a diverged run). Costs one pass
 * over the values.
 *
 * @param data The weight's values.
 * @param check Its name and file (for the message), its stored dtype and the magnitude bound.
 * @throws {TypeError} For a dtype that is not a float dtype.
 * @throws {RangeError} For the first value that is not finite or too large, naming the weight,
 * the file, the index and the value.
 * @example
 * ```ts
 * import { checkWeightValues } from "@loradrop/core/io";
 * import { assertThrows } from "@std/assert";
 * checkWeightValues(new Float32Array([0.5, -2]), { name: "w", source: "a.safetensors" });
 * assertThrows(
 *   () => checkWeightValues(new Float32Array([0.5, NaN]), { name: "w", source: "a.safetensors" }),
 *   RangeError,
 *   'weight "w" holds NaN at index 1',
 * );
 * assertThrows(
 *   () => checkWeightValues(new Float32Array([1.1e38]), { name: "w", source: "a.safetensors" }),
 *   RangeError,
 *   "beyond ±1000000",
 * );
 * ```
 */
export function checkWeightValues(
  data: Float32Array | Int32Array | Float64Array,
  check: WeightValueCheck,
): void {
  const { name, source, dtype, maxAbs = MAX_WEIGHT_MAGNITUDE } = check;
  if ((dtype !== undefined && !FLOAT_DTYPES.has(dtype)) || data instanceof Int32Array) {
    throw new TypeError(
      `Cannot load weights: weight "${name}" must have a float dtype, received ${
        dtype ?? "int32"
      } (${source})`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // NaN fails both comparisons, so it falls through to the error
    if (v <= maxAbs && v >= -maxAbs) continue;
    if (Number.isFinite(v)) {
      throw new RangeError(
        `Cannot load weights: weight "${name}" holds ${
          Number(v.toPrecision(6))
        } at index ${i}, beyond ±${maxAbs} (${source}); the file is probably corrupt (a flipped bit)`,
      );
    }
    throw new RangeError(
      `Cannot load weights: weight "${name}" holds ${v} at index ${i}, expected finite values (${source}); the file is corrupt or was saved from a diverged run`,
    );
  }
}

/**
 * Decodes a whole safetensors file held in memory.
 *
 * @param bytes The file's bytes.
 * @param source The file's name, for error messages.
 * @returns The decoded tensors and metadata.
 * @example
 * ```ts
 * import { parseSafetensors, serializeSafetensors } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * const bytes = serializeSafetensors({ w: { shape: [1, 2], data: new Float32Array([0.5, -1]) } });
 * assertEquals(parseSafetensors(bytes, "mem").tensors.get("w")?.data, new Float32Array([0.5, -1]));
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes, source);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, e] of header.entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    const slice = bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    tensors.set(name, {
      dtype: e.dtype,
      shape: e.shape,
      data: decode(slice, e.dtype, count, name, source),
    });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Reads and decodes a safetensors file.
 *
 * @param path The file's path.
 * @returns The decoded tensors and metadata.
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, { ids: { shape: [3], data: new Int32Array([1, 2, 3]), dtype: "I64" } });
 * const file = await readSafetensors(path);
 * assertEquals(file.tensors.get("ids")?.dtype, "I64");
 * assertEquals(file.tensors.get("ids")?.data, new Int32Array([1, 2, 3]));
 * await Deno.remove(path);
 * ```
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new Error(`Cannot read safetensors file ${path}: ${(error as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/**
 * Encodes tensors as a safetensors file (F32, I32 or I64; header padded to 8 bytes with spaces).
 *
 * @param tensors The tensors by name (written in name order).
 * @param metadata An optional `__metadata__` string map (e.g. `{format: "pt"}`).
 * @returns The file's bytes.
 * @example
 * ```ts
 * import { serializeSafetensors } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * const bytes = serializeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
 * assertEquals(bytes.length % 8, 0);
 * ```
 */
export function serializeSafetensors(
  tensors: Readonly<Record<string, SafetensorsInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = { ...metadata };
  let offset = 0;
  const plan: { t: SafetensorsInput; dtype: "F32" | "I32" | "I64"; begin: number }[] = [];
  for (const name of names) {
    if (name === "__metadata__") {
      throw new TypeError(
        `Cannot write safetensors: "__metadata__" is reserved, not a tensor name`,
      );
    }
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length) {
      throw new RangeError(
        `Cannot write safetensors: tensor "${name}" has shape [${
          t.shape.join(", ")
        }] but ${t.data.length} values`,
      );
    }
    const dtype = t.dtype ?? (t.data instanceof Float32Array ? "F32" : "I32");
    if ((dtype === "F32") !== (t.data instanceof Float32Array)) {
      throw new TypeError(
        `Cannot write safetensors: tensor "${name}" has dtype ${dtype} but ${t.data.constructor.name} data`,
      );
    }
    const bytes = count * SAFETENSORS_DTYPE_BYTES[dtype];
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    plan.push({ t, dtype, begin: offset });
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const base = 8 + json.length;
  for (const { t, dtype, begin } of plan) {
    const at = base + begin;
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i]!;
      if (dtype === "F32") view.setFloat32(at + 4 * i, v, true);
      else if (dtype === "I32") view.setInt32(at + 4 * i, v, true);
      else view.setBigInt64(at + 8 * i, BigInt(v), true);
    }
  }
  return out;
}

/**
 * Writes tensors to a safetensors file (see {@linkcode serializeSafetensors}), atomically.
 *
 * @param path The destination path.
 * @param tensors The tensors by name.
 * @param metadata An optional `__metadata__` string map.
 * @returns Resolves once the file is written.
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, { b: { shape: [1], data: new Float32Array([3]) } }, { format: "pt" });
 * assertEquals((await readSafetensors(path)).metadata, { format: "pt" });
 * await Deno.remove(path);
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, SafetensorsInput>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
