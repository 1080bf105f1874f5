/**
 * A FLOP model of one LoRA training step of an encoder task model (nanoGPT's `estimate_mfu` idea:
 * the performance model lives next to the code, and benchmarks divide it by the step time).
 *
 * Only matrix products are counted (2 FLOPs per multiply-add); LayerNorm, softmax, masks and the
 * optimiser are left out. Per token and layer, forward:
 * - every frozen projection (in, out) costs `2·in·out`: q, k, v, o, the residual projection when
 *   the layer changes width, FFN in and out;
 * - the attention scores `Q·Kᵀ` and the weighted values `P·V` cost `2·T·inner` each, `4·T·inner`
 *   together (`inner = heads·headDim`, `T` the sequence length);
 * - a LoRA adapter on a module (in, out) costs `2·in·r + 2·r·out`.
 * The head costs `2·width·classes` per example (after pooling), a frozen pooler dense
 * `2·in·out` per example.
 *
 * Backward: frozen weights get no weight gradient, only activation gradients (as many FLOPs as
 * their forward) and only where something trainable lies below: the projections that read a layer's
 * input need `dX` only when an earlier layer holds an adapter, and in the attention core only the
 * operands that lead to an adapter get gradients (`dQ` for q, `dK` for k, `dV` for v, `dP` when
 * q or k needs one). LoRA adapters get both weight gradients (`2·in·r + 2·r·out`), the gradient
 * into their low-rank hidden (`2·r·out`) and, where needed, into their input (`2·in·r`); the head
 * gets its weight gradient and, when adapters exist, its input gradient. This is what reverse-mode
 * autodiff over `model.trainable` computes. A consistency loss whose second pass is a constant
 * (`branches: "one"`, HiddenKey) adds one forward; `both` adds a forward and a backward.
 *
 * @module
 */
/** A module a LoRA adapter can sit on. */
export type FlopModule = "q" | "k" | "v" | "o" | "ffn-in" | "ffn-out";

/** The sizes of one encoder layer (an `EncoderLayerConfig` fits). */
export interface FlopLayer {
  /** Width of the layer's input. */
  readonly inputDim: number;
  /** Width of the layer's output (a residual projection when it differs from the input's). */
  readonly hiddenDim: number;
  /** Attention heads. */
  readonly numHeads: number;
  /** Size of each head. */
  readonly headDim: number;
  /** Inner width of the FFN. */
  readonly ffnDim: number;
}

/** The model and step shape the FLOP model needs. */
export interface StepFlopConfig {
  /** The encoder layers (sizes only). */
  readonly layers: readonly FlopLayer[];
  /** Examples per step. */
  readonly batch: number;
  /** Tokens per example (padding included: the kernels run on it). */
  readonly seqLen: number;
  /** LoRA rank and target modules (in every layer); no adapters when absent. */
  readonly lora?: { readonly r: number; readonly targets: readonly FlopModule[] };
  /** Head outputs: classes, or 1 for regression. */
  readonly numOutputs: number;
  /** A frozen dense between pooling and the head (USE-lite's `pooler` pooling), `(in, out)`. */
  readonly pooler?: { readonly inputDim: number; readonly outputDim: number };
  /** The consistency loss's second pass: none, a constant (`one`), or trained (`both`). */
  readonly consistency?: "none" | "one" | "both";
}

/** FLOPs of one training step, split by kind. */
export interface StepFlops {
  /** One forward pass. */
  readonly forward: number;
  /** One backward pass. */
  readonly backward: number;
  /** The whole step: every pass, forward and backward. */
  readonly total: number;
  /** `total` divided by the step's tokens (`batch·seqLen`). */
  readonly perToken: number;
  /** One forward + backward pass split into frozen matmuls, attention core, LoRA and head. */
  readonly parts: {
    readonly frozen: number;
    readonly attention: number;
    readonly lora: number;
    readonly head: number;
  };
}

function checkCount(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot count training FLOPs: ${name} must be an integer >= ${min}, received ${value}`,
    );
  }
}

/**
 * Counts the matmul FLOPs of one training step (see the module doc for the model).
 *
 * @param config Layer sizes, batch shape, LoRA, head, pooler and consistency.
 * @returns Forward, backward and total FLOPs, per token, and the split by kind.
 * @example
 * ```ts
 * import { trainingStepFlops } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * // One layer 4 → 4, one head of size 4, no adapters: only the head trains.
 * const f = trainingStepFlops({
 *   layers: [{ inputDim: 4, hiddenDim: 4, numHeads: 1, headDim: 4, ffnDim: 8 }],
 *   batch: 1, seqLen: 2, numOutputs: 2,
 * });
 * // per token: q,k,v,o 4·32 + FFN 2·64 = 256, scores+values 4·2·4 = 32; ×2 tokens; head 16
 * assertEquals(f.forward, 2 * (256 + 32) + 16);
 * assertEquals(f.backward, 16); // the head's weight gradient only
 * ```
 */
export function trainingStepFlops(config: StepFlopConfig): StepFlops {
  const { layers, batch, seqLen, numOutputs } = config;
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new RangeError("Cannot count training FLOPs: layers must be a non-empty array");
  }
  checkCount(batch, "batch", 1);
  checkCount(seqLen, "seqLen", 1);
  checkCount(numOutputs, "numOutputs", 1);
  const r = config.lora?.r ?? 0;
  const targets = new Set<FlopModule>(config.lora?.targets ?? []);
  if (config.lora !== undefined) checkCount(r, "lora.r", 1);
  const consistency = config.consistency ?? "none";
  if (!["none", "one", "both"].includes(consistency)) {
    throw new TypeError(
      `Cannot count training FLOPs: consistency must be "none", "one" or "both", received "${consistency}"`,
    );
  }
  const tokens = batch * seqLen;
  const has = (m: FlopModule) => r > 0 && targets.has(m);
  let fwdFrozen = 0, bwdFrozen = 0, fwdAttn = 0, bwdAttn = 0, fwdLora = 0, bwdLora = 0;
  let trainableBelow: boolean = false; // an adapter in an earlier layer
  for (const l of layers) {
    for (const [name, v] of Object.entries(l)) checkCount(v as number, `layer.${name}`, 1);
    const inner = l.numHeads * l.headDim;
    const mm = (i: number, o: number) => 2 * i * o; // per token
    const lora = (m: FlopModule, i: number, o: number, inputGrad: boolean) => {
      if (!has(m)) return;
      fwdLora += mm(i, r) + mm(r, o);
      // dB, dA, the gradient into the rank-r hidden, and into the input when needed
      bwdLora += mm(r, o) + mm(i, r) + mm(r, o) + (inputGrad ? mm(i, r) : 0);
    };
    // Projections reading the layer input: q, k, v and the residual projection.
    const readers = 3 * mm(l.inputDim, inner) +
      (l.inputDim !== l.hiddenDim ? mm(l.inputDim, l.hiddenDim) : 0);
    fwdFrozen += readers;
    if (trainableBelow) bwdFrozen += readers;
    for (const m of ["q", "k", "v"] as const) lora(m, l.inputDim, inner, trainableBelow);
    // Attention core: S = Q·Kᵀ and Y = P·V, 2·T·inner each per token.
    const core = 2 * seqLen * inner;
    fwdAttn += 2 * core;
    const dQ: boolean = trainableBelow || has("q");
    const dK: boolean = trainableBelow || has("k");
    const dV: boolean = trainableBelow || has("v");
    bwdAttn += core * ((dQ ? 1 : 0) + (dK ? 1 : 0) + (dQ || dK ? 1 : 0) + (dV ? 1 : 0));
    const afterAttention: boolean = dQ || dK || dV; // the attention output depends on something trainable
    // o, FFN in, FFN out.
    fwdFrozen += mm(inner, l.hiddenDim);
    if (afterAttention) bwdFrozen += mm(inner, l.hiddenDim);
    lora("o", inner, l.hiddenDim, afterAttention);
    const afterO: boolean = afterAttention || has("o");
    fwdFrozen += mm(l.hiddenDim, l.ffnDim);
    if (afterO) bwdFrozen += mm(l.hiddenDim, l.ffnDim);
    lora("ffn-in", l.hiddenDim, l.ffnDim, afterO);
    const afterIn: boolean = afterO || has("ffn-in");
    fwdFrozen += mm(l.ffnDim, l.hiddenDim);
    if (afterIn) bwdFrozen += mm(l.ffnDim, l.hiddenDim);
    lora("ffn-out", l.ffnDim, l.hiddenDim, afterIn);
    trainableBelow = afterIn || has("ffn-out");
  }
  const width = config.pooler?.outputDim ?? layers[layers.length - 1]!.hiddenDim;
  let fwdHead = 2 * width * numOutputs * batch;
  let bwdHead = fwdHead + (trainableBelow ? fwdHead : 0);
  if (config.pooler !== undefined) {
    checkCount(config.pooler.inputDim, "pooler.inputDim", 1);
    checkCount(config.pooler.outputDim, "pooler.outputDim", 1);
    const pool = 2 * config.pooler.inputDim * config.pooler.outputDim * batch;
    fwdHead += pool;
    if (trainableBelow) bwdHead += pool;
  }
  const forward = tokens * (fwdFrozen + fwdAttn + fwdLora) + fwdHead;
  const backward = tokens * (bwdFrozen + bwdAttn + bwdLora) + bwdHead;
  const passes = consistency === "both" ? 2 : 1;
  const total = passes * (forward + backward) + (consistency === "one" ? forward : 0);
  return {
    forward,
    backward,
    total,
    perToken: total / tokens,
    parts: {
      frozen: tokens * (fwdFrozen + bwdFrozen),
      attention: tokens * (fwdAttn + bwdAttn),
      lora: tokens * (fwdLora + bwdLora),
      head: fwdHead + bwdHead,
    },
  };
}
