/**
 * Registering loradrop's own differentiable kernels, which forward to a backend's kernel.
 *
 * A registered kernel with a registered gradient (rather than `tf.customGrad`) gets lazy
 * per-input gradients: tfjs calls an input's gradient closure only when that input is being
 * differentiated, so a frozen weight gets no weight-gradient product. Kernels are per backend,
 * so each is registered for the active backend on first use; the gradient once.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** What {@linkcode ensureForwardingKernel} registers. */
export interface ForwardingKernelSpec {
  /** loradrop's kernel name, e.g. `LoradropLinearMatMul`. */
  readonly kernelName: string;
  /** The backend kernel it forwards to, e.g. `tf.BatchMatMul`. */
  readonly target: string;
  /**
   * The kernel function for one backend, given that backend's name and its `target` kernel.
   */
  readonly kernel: (backendName: string, target: tf.KernelConfig) => tf.KernelFunc;
  /** The gradient (without its kernel name). */
  readonly gradient: Omit<tf.GradConfig, "kernelName">;
}

const gradientsRegistered = new Set<string>();

/**
 * Registers `spec.kernelName` for the active backend unless it already is, and its gradient once.
 *
 * @param spec The kernel, what it forwards to, and its gradient.
 * @throws {Error} When the active backend has no `spec.target` kernel.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { ensureForwardingKernel } from "./forwarding_kernel.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * ensureForwardingKernel({
 *   kernelName: "ExampleNeg",
 *   target: tf.Neg,
 *   kernel: (_, neg) => ({ inputs, backend }) => neg.kernelFunc({ inputs, backend }),
 *   gradient: { gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
 * });
 * const y = tf.engine().runKernel("ExampleNeg", { x: tf.scalar(2) }, {}) as tf.Tensor;
 * assertEquals(y.dataSync()[0], -2);
 * ```
 */
export function ensureForwardingKernel(spec: ForwardingKernelSpec): void {
  const backendName = tf.getBackend();
  if (tf.getKernel(spec.kernelName, backendName) === undefined) {
    const target = tf.getKernel(spec.target, backendName);
    if (target === undefined) {
      throw new Error(
        `Cannot register ${spec.kernelName}: backend "${backendName}" has no ${spec.target} kernel`,
      );
    }
    tf.registerKernel({
      kernelName: spec.kernelName,
      backendName,
      kernelFunc: spec.kernel(backendName, target),
    });
  }
  if (!gradientsRegistered.has(spec.kernelName)) {
    tf.registerGradient({ kernelName: spec.kernelName, ...spec.gradient });
    gradientsRegistered.add(spec.kernelName);
  }
}
