/**
 * loradrop: LoRA meets dropout under a unified framework (Wang et al., Findings of ACL 2024).
 *
 * Functional TensorFlow.js building blocks: LoRA layers, the dropout operators of the unified
 * framework (DropKey, DropAttention, HiddenCut, …) with explicit random keys and explicit
 * training flags, and the compensation losses.
 *
 * @example
 * ```ts
 * import { dropAt, initBackend, randomKey, splitKey } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const [k1, k2] = splitKey(randomKey(0));
 * assertEquals(k1 === k2, false);
 * const plan = { drops: [{ position: "attention-logits", pattern: "column", rate: 0.1 }] } as const;
 * assertEquals(dropAt(plan, "attention-logits", 0, 2)?.rate, 0.1);
 * ```
 *
 * @module
 */
export * from "./lib/types.ts";
export * from "./lib/backend.ts";
export * from "./lib/random.ts";
export * from "./lib/dropout/spec.ts";
export * from "./lib/dropout/context.ts";
export * from "./lib/dropout/masks.ts";
export * from "./lib/dropout/drop_key.ts";
export * from "./lib/dropout/drop_attention.ts";
export * from "./lib/dropout/drop_representation.ts";
export * from "./lib/dropout/presets.ts";
export * from "./lib/lora/mod.ts";
export * from "./lib/losses/mod.ts";
export * from "./lib/metrics/accuracy.ts";
export * from "./lib/metrics/f1.ts";
export * from "./lib/metrics/matthews.ts";
export * from "./lib/metrics/pearson.ts";
export * from "./lib/metrics/spearman.ts";
export * from "./lib/metrics/metric.ts";
export * from "./lib/viz/mod.ts";
export * from "./lib/data/example.ts";
export * from "./lib/data/split.ts";
export * from "./lib/data/package_files.ts";
export * from "./lib/data/registry.ts";
export * from "./lib/models/layer_norm.ts";
export * from "./lib/models/drop_context.ts";
export * from "./lib/models/batch_matmul.ts";
export * from "./lib/models/attention.ts";
export * from "./lib/models/ffn.ts";
export * from "./lib/models/encoder_config.ts";
export * from "./lib/models/encoder.ts";
export * from "./lib/models/heads.ts";
export * from "./lib/models/task_model.ts";
export * from "./lib/io/use_lite.ts";
export * from "./lib/models/decoder.ts";
export * from "./lib/io/safetensors.ts";
export * from "./lib/io/hf_config.ts";
export * from "./lib/io/hf_model.ts";
export * from "./lib/io/hub.ts";
export * from "./lib/io/adapters.ts";
export * from "./lib/data/glue.ts";
export * from "./lib/data/custom.ts";
export * from "./lib/data/batches.ts";
export * from "./lib/train/mod.ts";
export * from "./lib/tokenizers/load.ts";
export * from "./lib/tokenizers/use_lite.ts";
export * from "./lib/tokenizers/gpt2.ts";
export * from "./lib/tokenizers/encode_batch.ts";
export * from "./lib/tokenizers/batch_tensors.ts";
export * from "./lib/tokenizers/check_vocab.ts";
export * from "./lib/nlg/metrics/mod.ts";
export * from "./lib/nlg/decode/mod.ts";
export * from "./lib/nlg/data/mod.ts";
export * from "./lib/repro/experiments.ts";
export * from "./lib/repro/store.ts";
export * from "./lib/repro/scheduler.ts";
export * from "./lib/repro/execute.ts";
export {
  type CostRow,
  costTable,
  type MethodTable,
  methodTable,
  rankCurve,
  rateCurve,
  runScore,
  type ScoreCurve,
  type SeedSummary,
  selectRuns,
  type SignificanceRow,
  significanceTable,
  summarizeSeeds,
  type TableCell as MethodTableCell,
  type TrainingCurve,
  trainingCurve,
} from "./lib/repro/analysis.ts";
export * from "./lib/repro/stats.ts";
export * from "./lib/repro/paper_tables.ts";
export * from "./lib/repro/verdicts.ts";
export * from "./lib/repro/sections.ts";
export * from "./lib/repro/equivalence.ts";
export * from "./lib/repro/notebook_runner.ts";
export * from "./lib/perf/flops.ts";
export * from "./lib/nlg/pretrain/mod.ts";
export * from "./lib/nlg/finetune/mod.ts";
export * from "./lib/models/decoder_task_model.ts";
export * from "./lib/repro/nlg_experiments.ts";
export * from "./lib/repro/nlg_execute.ts";
export * from "./lib/repro/nlg_sections.ts";
