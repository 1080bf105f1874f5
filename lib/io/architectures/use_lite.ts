/**
 * USE-lite's adapter layout: loradrop's own encoder (no `config.json`; loaded from its npm
 * package) keeps BERT's module names without a task prefix, and its head may have any layout.
 *
 * @module
 */
import type { AdapterLayout } from "./descriptor.ts";
import { BERT } from "./bert.ts";

/**
 * The adapter layout of USE-lite bases.
 *
 * @example
 * ```ts
 * import { USE_LITE_ADAPTER_LAYOUT } from "./use_lite.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(USE_LITE_ADAPTER_LAYOUT.weights.taskPrefix, "");
 * assertEquals(USE_LITE_ADAPTER_LAYOUT.head?.pooling, undefined); // any head layout
 * ```
 */
export const USE_LITE_ADAPTER_LAYOUT: AdapterLayout = {
  modelType: "use-lite",
  title: "USE-lite",
  kind: "encoder",
  weights: {
    taskPrefix: "",
    kernelLayout: BERT.weights.kernelLayout,
    layer: BERT.weights.layer,
    modules: BERT.weights.modules,
  },
  head: { out: "classifier", describe: "any head (loradrop only)" },
  peft: BERT.peft,
};
