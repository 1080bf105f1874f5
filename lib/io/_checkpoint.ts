// Strict access to the tensors of a (possibly sharded) safetensors checkpoint: every expected key
// is taken once with its shape checked; whatever is left must be on an explicit ignore list.
import * as tf from "@tensorflow/tfjs-core";
import type { Tensor, Tensor1D, Tensor2D } from "../types.ts";
import { checkWeightValues, type SafetensorsEntry } from "./safetensors.ts";

/** Tensors by name, each with the file it came from (for messages). */
export class CheckpointReader {
  readonly #tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly #files: ReadonlyMap<string, string>;
  readonly #taken = new Set<string>();
  readonly #source: string;
  readonly #created: Tensor[] = [];

  constructor(
    tensors: ReadonlyMap<string, SafetensorsEntry>,
    files: ReadonlyMap<string, string>,
    source: string,
  ) {
    this.#tensors = tensors;
    this.#files = files;
    this.#source = source;
  }

  has(key: string): boolean {
    return this.#tensors.has(key);
  }

  /** The raw entry, shape-, dtype- and value-checked, marked as used. */
  entry(key: string, shape: readonly number[]): SafetensorsEntry {
    const e = this.#tensors.get(key);
    if (e === undefined) {
      throw new Error(
        `Cannot load checkpoint ${this.#source}: tensor "${key}" is missing (expected shape [${shape}])`,
      );
    }
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `Cannot load checkpoint ${
          this.fileOf(key)
        }: tensor "${key}" has shape [${e.shape}], expected [${shape}]`,
      );
    }
    if (!(e.data instanceof Float32Array)) {
      throw new Error(
        `Cannot load checkpoint ${
          this.fileOf(key)
        }: tensor "${key}" has dtype ${e.dtype}, expected a float dtype`,
      );
    }
    // NaN, ±Infinity or a flipped exponent bit would only show up later as a NaN loss
    checkWeightValues(e.data, { name: key, source: this.fileOf(key), dtype: e.dtype });
    this.#taken.add(key);
    return e;
  }

  fileOf(key: string): string {
    return this.#files.get(key) ?? this.#source;
  }

  /** A vector `(n)`. */
  vector(key: string, n: number): Tensor1D {
    return this.#track(tf.tensor1d(this.entry(key, [n]).data as Float32Array));
  }

  /** A matrix stored as it is used: `(rows, cols)`. */
  matrix(key: string, rows: number, cols: number): Tensor2D {
    return this.#track(
      tf.tensor2d(this.entry(key, [rows, cols]).data as Float32Array, [rows, cols]),
    );
  }

  /** A torch `nn.Linear` weight stored `(out, in)`, returned as a kernel `(in, out)`. */
  linearKernel(key: string, inDim: number, outDim: number): Tensor2D {
    const src = this.entry(key, [outDim, inDim]).data as Float32Array;
    const out = new Float32Array(inDim * outDim);
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) out[i * outDim + o] = src[o * inDim + i]!;
    }
    return this.#track(tf.tensor2d(out, [inDim, outDim])); // (in, out)
  }

  #track<T extends Tensor>(t: T): T {
    this.#created.push(t);
    return t;
  }

  /** Disposes every tensor made so far (after a failed load). */
  disposeCreated(): void {
    tf.dispose(this.#created);
    this.#created.length = 0;
  }

  /** Keys never taken that match no ignore pattern: an Error naming them and their file. */
  checkAllUsed(ignore: readonly RegExp[]): string[] {
    const ignored: string[] = [];
    const unexpected: string[] = [];
    for (const key of this.#tensors.keys()) {
      if (this.#taken.has(key)) continue;
      if (ignore.some((re) => re.test(key))) ignored.push(key);
      else unexpected.push(key);
    }
    if (unexpected.length > 0) {
      const shown = unexpected.slice(0, 5).map((k) => `"${k}"`).join(", ");
      throw new Error(
        `Cannot load checkpoint ${this.fileOf(unexpected[0]!)}: unexpected tensor${
          unexpected.length > 1 ? "s" : ""
        } ${shown}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ""}`,
      );
    }
    return ignored;
  }
}
