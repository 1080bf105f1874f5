/**
 * LoRA layers: config and scale, PEFT-style initialisation, the LoRA linear and fused layers,
 * explicit merge/unmerge, and the fast-gradient matmul they are built on.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { randomKey } from "@loradrop/core";
 * import { initLora, loraLinear, loraScale } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const config = { r: 2, alpha: 4 };
 * const base = { kernel: tf.eye(3) as tf.Tensor2D };
 * const adapter = initLora(randomKey(0), 3, 3, config);
 * const x = tf.ones([1, 3]);
 * const y = loraLinear(x, base, adapter, { scale: loraScale(config) }, { training: false });
 * assertEquals(y.arraySync(), [[1, 1, 1]]); // B = 0 at init
 * tf.dispose([base.kernel, adapter.a, adapter.b, x, y]);
 * ```
 *
 * @module
 */
export * from "./config.ts";
export * from "./weights.ts";
export * from "./init.ts";
export * from "./linear_matmul.ts";
export * from "./lora_linear.ts";
export * from "./fused_linear.ts";
export * from "./merge.ts";
