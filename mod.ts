/**
 * loradrop: LoRA meets dropout under a unified framework (Wang et al., Findings of ACL 2024).
 *
 * The core: what you import to put the paper's methods into your own TensorFlow.js model — the
 * backend, explicit random keys, the dropout specs, operators (DropKey, DropAttention,
 * HiddenCut-style representation dropout) and presets (HiddenKey, …), LoRA layers and the
 * compensation losses. Every operator is a pure function of (input, spec, key, {training}).
 *
 * Everything else is a sub-path module: `@loradrop/core/models`, `/io`, `/data`, `/tokenizers`,
 * `/metrics`, `/train`, `/repro`, `/viz`, `/nlg`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { dropKey, initBackend, randomKey, splitKey } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const key = splitKey(randomKey(0))[0]!;
 * const logits = tf.zeros([1, 1, 2, 4]) as tf.Tensor4D; // (B, H, Tq, Tk)
 * const spec = { position: "attention-logits", pattern: "column", rate: 0.5 } as const;
 * // In inference mode every operator is the identity.
 * assertEquals(dropKey(logits, spec, { training: false }), logits);
 * const dropped = dropKey(logits, spec, { training: true, key });
 * assertEquals(dropped.shape, [1, 1, 2, 4]);
 * ```
 *
 * @module
 */
export * from "./lib/types.ts";
export * from "./lib/backend.ts";
export { initFastestBackend, type InitFastestBackendOptions } from "./lib/backend_fastest.ts";
export * from "./lib/random.ts";
export * from "./lib/dropout/mod.ts";
export * from "./lib/lora/mod.ts";
export * from "./lib/losses/mod.ts";
