/**
 * One NLG run: LoRA fine-tuning of a decoder LM on E2E-style (MR, reference) pairs with a dropout
 * plan through `train()` of `lib/train` (AdamW, schedule, clipping, checkpoints, results record),
 * then beam-search generation on the evaluation MRs and Table 2's five metrics.
 *
 * @module
 */
import type { DropoutPlan } from "../../dropout/spec.ts";
import type { DecoderModel } from "../../models/decoder.ts";
import { createDecoderTaskModel, type DecoderTaskModel } from "../../models/decoder_task_model.ts";
import { type StepEvent, train } from "../../train/train.ts";
import type { RunRecord, TrainSeeds } from "../../train/run_record.ts";
import type { JsonValue } from "../../train/config_hash.ts";
import { appendJsonLine, readJsonLines } from "../../train/atomic_file.ts";
import type { E2eExample } from "../data/types.ts";
import { linearizeMr, lmExample } from "../data/linearize.ts";
import { type E2eScores, e2eScores } from "../metrics/report.ts";
import { lmBatchSource } from "./data.ts";
import { generateTexts } from "./generate.ts";
import type { NlgFinetuneSettings } from "./presets.ts";

/** The tokenizer side a run needs. */
export interface NlgTokenizer {
  /** A short name, recorded in the run's config. */
  readonly name: string;
  /** Text → ids, no special tokens. */
  encode(text: string): ArrayLike<number>;
  /** Ids → text. */
  decode(ids: readonly number[]): string;
}

/** Options of {@linkcode finetuneE2e}. */
export interface FinetuneE2eOptions {
  /** The frozen decoder (the caller disposes it). */
  readonly base: DecoderModel;
  /** A name of the base for the records (`loradrop-small/<hash>`, `gpt2-medium`). */
  readonly baseName: string;
  /** Its tokenizer. */
  readonly tokenizer: NlgTokenizer;
  /** Separator and EOS id (USE-lite `</s>` = 2; GPT-2 50256). */
  readonly eosId: number;
  /** Training MRs, each with its references (every pair is trained on). */
  readonly train: readonly E2eExample[];
  /** Evaluation MRs with their references (generation + metrics). */
  readonly evaluation: readonly E2eExample[];
  /** The method's dropout plan (layer-wise drops go to the latter half of the layers). */
  readonly plan: DropoutPlan;
  /** Seeds of initialisation, data order and masks. */
  readonly seeds: TrainSeeds;
  /** Fine-tuning and decoding settings. */
  readonly settings: NlgFinetuneSettings;
  /** Results, events and checkpoints (`train()`'s files) plus `nlg_results.jsonl`. */
  readonly outDir?: string;
  /** More description for the hashed config (method name, preset, …). */
  readonly describe?: { readonly [key: string]: JsonValue };
  /** Called after every step. */
  readonly onStep?: (event: StepEvent) => void | Promise<void>;
  /** Progress bar; by default on a terminal. */
  readonly progress?: boolean;
}

/** One finished NLG run. */
export interface NlgRunResult {
  /** `loradrop-nlg-run`. */
  readonly format: "loradrop-nlg-run";
  /** `train()`'s record of the fine-tuning. */
  readonly record: RunRecord;
  /** Table 2's metrics on the evaluation MRs. */
  readonly scores: E2eScores;
  /** Every generation with its MR and references. */
  readonly generations: readonly {
    mr: string;
    hypothesis: string;
    references: readonly string[];
  }[];
  /** Seconds spent generating. */
  readonly generationSeconds: number;
}

/**
 * Fine-tunes, generates and scores one run; a run already recorded in `outDir/nlg_results.jsonl`
 * (same `train()` run id) is returned without training or generating again.
 *
 * @param options Base, tokenizer, data, plan, seeds, settings, output folder.
 * @returns The training record, the scores and the generations.
 * @example
 * ```ts
 * import { initBackend } from "@loradrop/core";
 * import { finetuneE2e } from "@loradrop/core/nlg";
 * import { tinyDecoder } from "../../models/_tiny_decoder.ts";
 * import { NLG_FINETUNE_PRESETS } from "@loradrop/core/nlg";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { assert, assertEquals } from "@std/assert";
 * await initBackend({ backend: "cpu" });
 * const base = tinyDecoder(1, { maxPositions: 24 });
 * // A toy tokenizer over 12 ids: letters a-k → 1-11, EOS 0.
 * const tokenizer = { name: "toy", encode: (s: string) => [...s.replace(/[^a-k]/g, "")].map((c) => c.charCodeAt(0) - 96), decode: (ids: readonly number[]) => ids.map((i) => String.fromCharCode(96 + i)).join("") };
 * const ex = { mr: "name[abc]", references: ["abc"] };
 * const result = await finetuneE2e({
 *   base, baseName: "tiny", tokenizer, eosId: 0, train: [ex], evaluation: [ex],
 *   plan: { drops: [] }, seeds: { init: 0, data: 0, dropout: 0 },
 *   settings: { ...NLG_FINETUNE_PRESETS.smoke, steps: 3, decoding: { ...NLG_FINETUNE_PRESETS.smoke.decoding, maxNewTokens: 4 } },
 *   progress: false,
 * });
 * assertEquals(result.record.steps, 3);
 * assertEquals(result.generations.length, 1);
 * assert(result.scores.bleu >= 0);
 * tf.dispose(base.weights as unknown as tf.TensorContainer);
 * ```
 */
export async function finetuneE2e(options: FinetuneE2eOptions): Promise<NlgRunResult> {
  const { settings, tokenizer, eosId } = options;
  if (options.evaluation.length === 0) {
    throw new RangeError("Cannot fine-tune on E2E: the evaluation split is empty");
  }
  const pairs = options.train.flatMap((ex) =>
    ex.references.map((reference) => ({ context: linearizeMr(ex.mr), reference }))
  );
  if (pairs.length === 0) {
    throw new RangeError("Cannot fine-tune on E2E: the training split has no references");
  }
  const maxPositions = options.base.config.maxPositions;
  const source = lmBatchSource(pairs, (t) => tokenizer.encode(t), {
    eosId,
    maxLength: maxPositions,
  });
  const describe: { [key: string]: JsonValue } = {
    task: "e2e-lm",
    base: options.baseName,
    tokenizer: tokenizer.name,
    eosId,
    labelSmoothing: settings.labelSmoothing,
    lora: {
      r: settings.lora.r,
      alpha: settings.lora.alpha,
      targets: [...(settings.lora.targets ?? ["q", "v"])],
    },
    dropLayers: "latter-half",
    decoding: { ...settings.decoding },
    trainMrs: options.train.length,
    evaluationMrs: options.evaluation.length,
    ...(options.describe ?? {}),
  };
  const resultsPath = options.outDir === undefined
    ? undefined
    : `${options.outDir}/nlg_results.jsonl`;
  let model: DecoderTaskModel | undefined;
  const trained = await train({
    makeModel: (key) => {
      model = createDecoderTaskModel(options.base, {
        lora: settings.lora,
        labelSmoothing: settings.labelSmoothing,
      }, key);
      return model;
    },
    train: source,
    plan: options.plan,
    seeds: options.seeds,
    batchSize: settings.batchSize,
    ...(settings.steps !== undefined
      ? { steps: settings.steps }
      : { epochs: settings.epochs ?? 1 }),
    lr: settings.lr,
    warmupSteps: settings.warmupSteps,
    weightDecay: settings.weightDecay,
    describe,
    ...(options.outDir === undefined ? {} : { outDir: options.outDir }),
    ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  });
  try {
    if (resultsPath !== undefined) {
      const previous = (await readJsonLines(resultsPath)).find((r) =>
        (r as NlgRunResult | null)?.record?.runId === trained.record.runId
      ) as NlgRunResult | undefined;
      if (previous !== undefined) return previous;
    }
    const m = model!;
    const prompts = options.evaluation.map((ex) =>
      lmExample(linearizeMr(ex.mr), undefined, (t) => tokenizer.encode(t), {
        eosId,
        separatorId: eosId,
      }).prompt
    );
    const t0 = performance.now();
    const hypotheses = await generateTexts(
      (ids, mask) => m.logits(ids, mask),
      prompts,
      (ids) => tokenizer.decode(ids),
      { ...settings.decoding, eosId, maxPositions },
    );
    const generationSeconds = (performance.now() - t0) / 1000;
    const references = options.evaluation.map((ex) => ex.references);
    const result: NlgRunResult = {
      format: "loradrop-nlg-run",
      record: trained.record,
      scores: e2eScores(hypotheses, references),
      generations: options.evaluation.map((ex, i) => ({
        mr: ex.mr,
        hypothesis: hypotheses[i]!,
        references: ex.references,
      })),
      generationSeconds,
    };
    if (resultsPath !== undefined) await appendJsonLine(resultsPath, result);
    return result;
  } finally {
    trained.model.dispose();
  }
}
