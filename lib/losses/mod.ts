/**
 * Task losses (cross-entropy, mean squared error) and the consistency losses between two dropout
 * passes (symmetric KL, JS to the inference pass, HiddenCut's JS, the Jensen-Shannon divergence,
 * MSE), all numerically stable on logits, with token masks for sequence outputs.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { consistencyLoss, crossEntropy } from "@loradrop/core";
 * import { assert } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const pass1 = tf.tensor2d([[2, 0]]), pass2 = tf.tensor2d([[1.5, 0.2]]);
 * const labels = tf.tensor1d([0], "int32");
 * const loss = tf.add(
 *   crossEntropy(pass1, labels),
 *   consistencyLoss({ kind: "kl", weight: 1, branches: "one" }, pass1, pass2),
 * );
 * assert(loss.dataSync()[0]! > 0);
 * tf.dispose([pass1, pass2, labels, loss]);
 * ```
 *
 * @module
 */
export * from "./stop_gradient.ts";
export * from "./cross_entropy.ts";
export * from "./mean_squared_error.ts";
export * from "./symmetric_kl.ts";
export * from "./js_to_inference.ts";
export * from "./js_hidden_cut.ts";
export * from "./js_divergence.ts";
export * from "./mse_consistency.ts";
export * from "./compensations.ts";
export * from "./consistency_loss.ts";
