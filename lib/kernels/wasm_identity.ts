/**
 * A sharing `Identity` kernel for the wasm backend.
 *
 * tfjs clones every tensor a kernel saves for its gradient (`keep(clone(x))`), and `clone` runs
 * the `Identity` kernel. tfjs-backend-wasm's `Identity` copies the data, so each training step
 * copied every saved activation and frozen weight (226 copies, ~25 ms of a ~720 ms step of the
 * default model). Tensors are immutable, so, like the cpu and webgl backends, this kernel returns
 * the same data with its reference count raised; the data is freed when the last tensor that
 * shares it is disposed.
 *
 * Importing this module replaces the wasm backend's `Identity` kernel (it is imported by
 * `lib/backend.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";

/** The slice of tfjs-backend-wasm's backend object the kernel uses. */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * The sharing identity: the input's data with one more reference.
 *
 * @param args The kernel's inputs (`x`) and backend.
 * @returns A tensor info over the same data.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "wasm" });
 * const x = tf.tensor1d([1, 2, 3]);
 * const y = tf.clone(x); // runs sharingIdentity: no copy
 * x.dispose();
 * assertEquals(Array.from(y.dataSync()), [1, 2, 3]); // still valid
 * y.dispose();
 * ```
 */
export function sharingIdentity(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown },
): tf.TensorInfo {
  const x = args.inputs.x;
  if (x === undefined) {
    throw new TypeError("Cannot run Identity: expected an input named x, received none");
  }
  (args.backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

if (tf.getKernel(tf.Identity, "wasm") !== undefined) tf.unregisterKernel(tf.Identity, "wasm");
tf.registerKernel({
  kernelName: tf.Identity,
  backendName: "wasm",
  kernelFunc: sharingIdentity as unknown as tf.KernelFunc,
});
