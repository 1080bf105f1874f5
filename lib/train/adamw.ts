/**
 * AdamW (Loshchilov & Hutter) with decoupled weight decay, over a named record of variables.
 *
 * One update with learning rate `lr`, for every parameter `p` with gradient `g`:
 * `p ← p · (1 − lr · wd)` (only for names the decay filter accepts), then
 * `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
 * `p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)` with `t` the 1-based update count.
 * The state (`m`, `v`, `step`) round-trips through {@linkcode adamWStateTensors} and
 * {@linkcode loadAdamWState}, so a resumed run continues bit-for-bit.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensors, Tensor, Variable } from "../types.ts";

/** Hyper-parameters of {@linkcode createAdamW}. */
export interface AdamWOptions {
  /** First-moment decay β1; 0.9 by default. */
  readonly beta1?: number;
  /** Second-moment decay β2; 0.999 by default. */
  readonly beta2?: number;
  /** ε added to the denominator; 1e-8 by default. */
  readonly epsilon?: number;
  /** Decoupled weight decay (paper Table 6: 0.1, Table 7: 0.01); 0 by default. */
  readonly weightDecay?: number;
  /**
   * Which parameters are decayed; by default every name except those ending in `bias`
   * (the Hugging Face trainer's convention, which the paper's runs used).
   */
  readonly decay?: (name: string) => boolean;
}

/** The optimiser: its parameters, hyper-parameters and state. Mutated by {@linkcode adamWUpdate}. */
export interface AdamW {
  /** The optimised variables, by name. */
  readonly params: Readonly<Record<string, Variable>>;
  /** First moments, one non-trainable variable per parameter. */
  readonly m: Readonly<Record<string, Variable>>;
  /** Second moments, one non-trainable variable per parameter. */
  readonly v: Readonly<Record<string, Variable>>;
  /** How many updates have been applied. */
  step: number;
  /** β1. */
  readonly beta1: number;
  /** β2. */
  readonly beta2: number;
  /** ε. */
  readonly epsilon: number;
  /** The decoupled weight decay. */
  readonly weightDecay: number;
  /** Which names are decayed. */
  readonly decay: (name: string) => boolean;
}

function checkHyper(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isFinite(value) || value < lo || value >= hi) {
    throw new RangeError(
      `Cannot create AdamW: ${name} must be in [${lo}, ${hi}), received ${value}`,
    );
  }
  return value;
}

/**
 * Creates an AdamW optimiser for `params` with zero moments.
 *
 * @param params The variables to optimise (e.g. `model.trainable`: LoRA + head only).
 * @param options Hyper-parameters.
 * @returns The optimiser; free it with {@linkcode disposeAdamW}.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { createAdamW, disposeAdamW } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.ones([2]));
 * const opt = createAdamW({ w }, { weightDecay: 0.1 });
 * assertEquals(opt.step, 0);
 * assertEquals(opt.m.w!.shape, [2]);
 * disposeAdamW(opt);
 * w.dispose();
 * ```
 */
export function createAdamW(
  params: Readonly<Record<string, Variable>>,
  options: AdamWOptions = {},
): AdamW {
  const beta1 = checkHyper("beta1", options.beta1 ?? 0.9, 0, 1);
  const beta2 = checkHyper("beta2", options.beta2 ?? 0.999, 0, 1);
  const epsilon = checkHyper("epsilon", options.epsilon ?? 1e-8, 0, Infinity);
  const weightDecay = checkHyper("weightDecay", options.weightDecay ?? 0, 0, Infinity);
  const names = Object.keys(params);
  if (names.length === 0) {
    throw new TypeError("Cannot create AdamW: params is empty; expected at least one variable");
  }
  const m: Record<string, Variable> = {};
  const v: Record<string, Variable> = {};
  for (const name of names) {
    const p = params[name]!;
    if (!(p instanceof tf.Variable)) {
      throw new TypeError(`Cannot create AdamW: params["${name}"] must be a tf.Variable`);
    }
    m[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    v[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
  }
  return {
    params,
    m,
    v,
    step: 0,
    beta1,
    beta2,
    epsilon,
    weightDecay,
    decay: options.decay ?? ((name) => !/bias$/i.test(name)),
  };
}

/**
 * Applies one AdamW update. A parameter without a gradient is left untouched (no decay either,
 * as in PyTorch); a gradient must have its parameter's shape.
 *
 * @param opt The optimiser (mutated: parameters, moments and step).
 * @param grads Gradients by parameter name (not disposed here).
 * @param lr This update's learning rate.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { adamWUpdate, createAdamW, disposeAdamW } from "@loradrop/core/train";
 * import { assertAlmostEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1]));
 * const opt = createAdamW({ w });
 * const g = tf.tensor1d([0.5]);
 * adamWUpdate(opt, { w: g }, 0.1);
 * // The first Adam step moves by lr · sign(g).
 * assertAlmostEquals(w.dataSync()[0]!, 0.9, 1e-6);
 * tf.dispose([g, w]);
 * disposeAdamW(opt);
 * ```
 */
export function adamWUpdate(opt: AdamW, grads: NamedTensors, lr: number): void {
  if (!Number.isFinite(lr) || lr < 0) {
    throw new RangeError(`Cannot apply AdamW: lr must be a finite number >= 0, received ${lr}`);
  }
  for (const name of Object.keys(grads)) {
    if (!(name in opt.params)) {
      throw new TypeError(`Cannot apply AdamW: gradient "${name}" has no parameter`);
    }
  }
  const t = opt.step + 1;
  const bc1 = 1 - opt.beta1 ** t;
  const bc2Sqrt = Math.sqrt(1 - opt.beta2 ** t);
  tf.tidy(() => {
    for (const [name, p] of Object.entries(opt.params)) {
      const g = grads[name];
      if (g === undefined) continue; // not connected to the loss: left as is (PyTorch's rule)
      if (!tf.util.arraysEqual(g.shape, p.shape)) {
        throw new RangeError(
          `Cannot apply AdamW: gradient "${name}" has shape [${g.shape}], expected [${p.shape}]`,
        );
      }
      const m = opt.m[name]!, v = opt.v[name]!;
      const mNew = tf.add(tf.mul(m, opt.beta1), tf.mul(g, 1 - opt.beta1));
      const vNew = tf.add(tf.mul(v, opt.beta2), tf.mul(tf.square(g), 1 - opt.beta2));
      const decayed: Tensor = opt.weightDecay > 0 && opt.decay(name)
        ? tf.mul(p, 1 - lr * opt.weightDecay)
        : p;
      const denom = tf.add(tf.div(tf.sqrt(vNew), bc2Sqrt), opt.epsilon);
      const pNew = tf.sub(decayed, tf.mul(tf.div(mNew, denom), lr / bc1));
      m.assign(mNew);
      v.assign(vNew);
      p.assign(pNew);
    }
  });
  opt.step = t;
}

/**
 * The optimiser state as named tensors (`m/<name>`, `v/<name>`; the moments themselves, not
 * copies: serialise before the next update) plus the update count.
 *
 * @param opt The optimiser.
 * @returns The tensors and the step.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { adamWStateTensors, createAdamW, disposeAdamW } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.ones([3]));
 * const opt = createAdamW({ w });
 * assertEquals(Object.keys(adamWStateTensors(opt).tensors), ["m/w", "v/w"]);
 * disposeAdamW(opt);
 * w.dispose();
 * ```
 */
export function adamWStateTensors(opt: AdamW): { tensors: NamedTensors; step: number } {
  const tensors: NamedTensors = {};
  for (const name of Object.keys(opt.params)) {
    tensors[`m/${name}`] = opt.m[name]!;
    tensors[`v/${name}`] = opt.v[name]!;
  }
  return { tensors, step: opt.step };
}

/**
 * Restores a state saved with {@linkcode adamWStateTensors}: every `m/<name>` and `v/<name>`
 * must be present with the parameter's shape (strict: no missing or unknown names).
 *
 * @param opt The optimiser to restore into.
 * @param tensors The saved moments (copied; not disposed here).
 * @param step The saved update count.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { createAdamW, disposeAdamW, loadAdamWState } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.ones([2]));
 * const opt = createAdamW({ w });
 * const saved = { "m/w": tf.tensor1d([1, 2]), "v/w": tf.tensor1d([3, 4]) };
 * loadAdamWState(opt, saved, 7);
 * assertEquals([...opt.v.w!.dataSync()], [3, 4]);
 * assertEquals(opt.step, 7);
 * tf.dispose([w, ...Object.values(saved)]);
 * disposeAdamW(opt);
 * ```
 */
export function loadAdamWState(opt: AdamW, tensors: NamedTensors, step: number): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(
      `Cannot load AdamW state: step must be a non-negative integer, received ${step}`,
    );
  }
  const expected = new Set<string>();
  for (const name of Object.keys(opt.params)) {
    expected.add(`m/${name}`);
    expected.add(`v/${name}`);
  }
  for (const key of Object.keys(tensors)) {
    if (!expected.has(key)) throw new TypeError(`Cannot load AdamW state: unknown tensor "${key}"`);
  }
  for (const key of expected) {
    const t = tensors[key];
    const [kind, ...rest] = key.split("/");
    const name = rest.join("/");
    const p = opt.params[name]!;
    if (t === undefined) throw new TypeError(`Cannot load AdamW state: missing tensor "${key}"`);
    if (!tf.util.arraysEqual(t.shape, p.shape)) {
      throw new RangeError(
        `Cannot load AdamW state: "${key}" has shape [${t.shape}], expected [${p.shape}]`,
      );
    }
    const target = (kind === "m" ? opt.m : opt.v)[name]!;
    tf.tidy(() => target.assign(tf.cast(t, "float32")));
  }
  opt.step = step;
}

/**
 * Frees the optimiser's moment variables (not the parameters).
 *
 * @param opt The optimiser.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { createAdamW, disposeAdamW } from "@loradrop/core/train";
 * import { assertEquals } from "@std/assert";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.ones([2]));
 * const before = tf.memory().numTensors;
 * disposeAdamW(createAdamW({ w }));
 * assertEquals(tf.memory().numTensors, before);
 * w.dispose();
 * ```
 */
export function disposeAdamW(opt: AdamW): void {
  tf.dispose([...Object.values(opt.m), ...Object.values(opt.v)]);
}
