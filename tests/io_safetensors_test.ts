import { assertEquals, assertThrows } from "@std/assert";
import {
  parseSafetensors,
  parseSafetensorsHeader,
  serializeSafetensors,
} from "../lib/io/safetensors.ts";

/** Builds a file from a raw header object and a data section (no checks: for malformed files). */
function rawFile(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

Deno.test("serializeSafetensors and parseSafetensors round-trip F32, I32 and I64 with metadata", () => {
  const w = new Float32Array([1.5, -2.25, 3e-8, 1e30, 0, -0.125]);
  const bytes = serializeSafetensors({
    w: { shape: [2, 3], data: w },
    ids: { shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]), dtype: "I64" },
    n: { shape: [], data: new Int32Array([7]) },
  }, { format: "pt" });
  const file = parseSafetensors(bytes, "x.safetensors");
  assertEquals(file.metadata, { format: "pt" });
  assertEquals(file.tensors.get("w"), { dtype: "F32", shape: [2, 3], data: w });
  assertEquals(file.tensors.get("ids")?.dtype, "I64");
  assertEquals(file.tensors.get("ids")?.data, new Int32Array([0, -1, 2147483647, -2147483648]));
  assertEquals(file.tensors.get("n"), { dtype: "I32", shape: [], data: new Int32Array([7]) });
});

Deno.test("parseSafetensors widens F16 and BF16 to float32", () => {
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24.
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer);
  // BF16: the high half of the f32 bits: 1.0 = 0x3f80, -3.5 = 0xc060.
  const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc060]).buffer);
  const data = new Uint8Array(12);
  data.set(f16, 0);
  data.set(bf16, 8);
  const bytes = rawFile({
    a: { dtype: "F16", shape: [4], data_offsets: [0, 8] },
    b: { dtype: "BF16", shape: [2], data_offsets: [8, 12] },
  }, data);
  const file = parseSafetensors(bytes, "half.safetensors");
  assertEquals(file.tensors.get("a")?.data, new Float32Array([1, -2, 65504, 2 ** -24]));
  assertEquals(file.tensors.get("b")?.data, new Float32Array([1, -3.5]));
});

Deno.test("parseSafetensorsHeader rejects a header length beyond the file, naming the file", () => {
  const bytes = rawFile({}, new Uint8Array(0), 1000n);
  assertThrows(() => parseSafetensorsHeader(bytes, "big.safetensors"), Error, "big.safetensors");
  assertThrows(() => parseSafetensorsHeader(bytes, "big.safetensors"), Error, "runs past the end");
  assertThrows(
    () => parseSafetensors(new Uint8Array(5), "tiny.safetensors"),
    Error,
    "tiny.safetensors: the file has 5 bytes",
  );
});

Deno.test("parseSafetensors rejects overlapping, outside, holed and size-mismatched offsets, naming the tensor", () => {
  const data = new Uint8Array(16);
  const cases: [unknown, string][] = [
    [{
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [3], data_offsets: [4, 16] },
    }, `tensor "b" overlaps tensor "a"`],
    [
      { a: { dtype: "F32", shape: [6], data_offsets: [0, 24] } },
      `tensor "a" has data_offsets [0, 24] outside`,
    ],
    [{
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      b: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
    }, `tensor "b" starts at byte 8, leaving a hole`],
    [
      { a: { dtype: "F32", shape: [3], data_offsets: [0, 16] } },
      `tensor "a" spans 16 bytes but F32 × [3] needs 12`,
    ],
    [
      { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } },
      "the tensors cover 8 bytes but the data section has 16",
    ],
    [{ a: { dtype: "U8", shape: [16], data_offsets: [0, 16] } }, `tensor "a" has dtype "U8"`],
    [{ a: { dtype: "F32", shape: [-4], data_offsets: [0, 16] } }, `tensor "a" has shape [-4]`],
    [
      { a: { dtype: "F32", shape: [4], data_offsets: [16, 0] } },
      `tensor "a" has data_offsets [16, 0] with end < begin`,
    ],
  ];
  for (const [header, message] of cases) {
    assertThrows(() => parseSafetensors(rawFile(header, data), "bad.safetensors"), Error, message);
    assertThrows(
      () => parseSafetensors(rawFile(header, data), "bad.safetensors"),
      Error,
      "bad.safetensors",
    );
  }
});

Deno.test("parseSafetensors rejects non-JSON headers and I64 values outside int32", () => {
  const bytes = rawFile({}, new Uint8Array(0));
  bytes[8] = 0x5b; // '[' breaks the object
  assertThrows(() => parseSafetensors(bytes, "j.safetensors"), Error, "not valid UTF-8 JSON");
  const big = new Uint8Array(8);
  new DataView(big.buffer).setBigInt64(0, 1n << 40n, true);
  assertThrows(
    () =>
      parseSafetensors(
        rawFile({ x: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, big),
        "i.safetensors",
      ),
    Error,
    `tensor "x" holds the I64 value 1099511627776`,
  );
});

Deno.test("serializeSafetensors rejects a shape that disagrees with the data", () => {
  assertThrows(
    () => serializeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }),
    RangeError,
    `tensor "w" has shape [2, 2] but 3 values`,
  );
});
