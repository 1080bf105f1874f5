// Private: reading a layout's modules from a checkpoint by the names of its descriptor
// (`architectures/`): the task prefix found, linear layers in either storage layout, layer norms,
// and the keys a reader may skip.
import type { LayerNormWeights } from "../models/layer_norm.ts";
import type { LinearWeights } from "../lora/weights.ts";
import type { CheckpointReader } from "./_checkpoint.ts";
import type { WeightNames } from "./architectures/table.ts";

/** `""` or the layout's task prefix, whichever holds the token embeddings; else undefined. */
export function layoutPrefix(
  has: (key: string) => boolean,
  names: Pick<WeightNames, "taskPrefix" | "tokenEmbedding">,
): string | undefined {
  for (const prefix of ["", names.taskPrefix]) {
    if (has(`${prefix}${names.tokenEmbedding}.weight`)) return prefix;
  }
  return undefined;
}

/** The patterns of keys a reader skips: the layout's buffers (under `prefix`), other heads. */
export function skippedKeys(
  names: Pick<WeightNames, "buffers" | "otherHeads">,
  prefix: string,
): RegExp[] {
  const esc = prefix.replaceAll(".", "\\.");
  return [
    ...names.buffers.map((re) => new RegExp(`^${esc}(?:${re.source})$`)),
    ...names.otherHeads,
  ];
}

/** A layer norm's gamma and beta (`weight`/`bias`, or TensorFlow's `gamma`/`beta`). */
export function layerNormOf(reader: CheckpointReader, base: string, d: number): LayerNormWeights {
  // Checkpoints converted from TensorFlow name them gamma/beta.
  const old = !reader.has(`${base}.weight`) && reader.has(`${base}.gamma`);
  return {
    gamma: reader.vector(`${base}.${old ? "gamma" : "weight"}`, d),
    beta: reader.vector(`${base}.${old ? "beta" : "bias"}`, d),
  };
}

/** A linear layer `(in, out)`, stored `(out, in)` (torch `Linear`) or `(in, out)` (`Conv1D`). */
export function linearOf(
  reader: CheckpointReader,
  base: string,
  inDim: number,
  outDim: number,
  layout: WeightNames["kernelLayout"],
): LinearWeights {
  return {
    kernel: layout === "out-in"
      ? reader.linearKernel(`${base}.weight`, inDim, outDim)
      : reader.matrix(`${base}.weight`, inDim, outDim),
    bias: reader.vector(`${base}.bias`, outDim),
  };
}
