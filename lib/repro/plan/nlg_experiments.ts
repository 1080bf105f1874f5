/**
 * The NLG track's reproduction (paper §6.5, Table 2) as data: the methods, seeds, base model,
 * fine-tuning and decoding settings and data sizes of each preset. Runs are `RunSpec`s (task
 * `e2e-style` or `e2e`), so the NLU track's store and scheduler cache and plan them.
 *
 * - `smoke` (CI, ≈ 1-2 min with the smoke pretraining): the smoke decoder, 1 seed, 20 steps,
 *   8 test MRs: it proves the pipeline, its numbers mean nothing.
 * - `quick`: loradrop's pretrained decoder (`deno task pretrain`), 3 seeds, 2 epochs over the
 *   generated E2E-style training set, beam 3.
 * - `paper`: GPT-2 Medium from the hub (`loadHfDecoder("gpt2-medium")`) on the real E2E data
 *   (`$LORADROP_E2E_DIR` with `trainset.csv`/`testset_w_refs.csv` or HF parquet files), Table 7's
 *   settings, 3 seeds. For a GPU or tfjs-node: GPT-2 Medium does not train on 2 wasm cores.
 *
 * The paper does not report the NLG track's dropout rates or KL weight: 0.1 and 1 here.
 *
 * @module
 */
import type { RunSpec } from "./run_spec.ts";
import { methodFields } from "./method_fields.ts";
import type { E2eScores } from "../../nlg/metrics/report.ts";
import { NLG_FINETUNE_PRESETS, type NlgFinetuneSettings } from "../../nlg/finetune/presets.ts";

/** The NLG presets. */
export type NlgPreset = "smoke" | "quick" | "paper";

/** Every NLG preset. */
export const NLG_PRESETS: readonly NlgPreset[] = ["smoke", "quick", "paper"];

/** Table 2's methods (dropout preset names), in the table's order. */
export const NLG_METHODS: readonly string[] = [
  "baseline",
  "hiddenCut-element",
  "dropKey-column",
  "hiddenKey-minus",
  "hiddenKey",
];

/** The five metrics of Table 2, in its order. */
export const E2E_METRICS: readonly (keyof E2eScores)[] = [
  "bleu",
  "nist",
  "meteor",
  "rougeL",
  "cider",
];

/** The display names of Table 2. */
export const NLG_METHOD_LABELS: Readonly<Record<string, string>> = {
  baseline: "Baseline",
  "hiddenCut-element": "HiddenCut",
  "dropKey-column": "DropKey",
  "hiddenKey-minus": "HiddenKey⁻",
  hiddenKey: "HiddenKey",
};

/** Everything an NLG preset fixes. */
export interface NlgPresetSpec {
  /** The preset. */
  readonly preset: NlgPreset;
  /** `loradrop-small:<pretrain preset>` or a Hugging Face GPT-2 folder / hub id. */
  readonly model: string;
  /** The data: `e2e-style` (generated, seeded) or `e2e` (files in `$LORADROP_E2E_DIR`). */
  readonly task: "e2e-style" | "e2e";
  /** Sizes of the generated data set (MRs per split; references per MR). */
  readonly dataSizes?: { readonly train: number; readonly test: number };
  /** Evaluate on at most this many test MRs (all when absent). */
  readonly maxTestMrs?: number;
  /** Fine-tuning and decoding. */
  readonly finetune: NlgFinetuneSettings;
  /** The seeds. */
  readonly seeds: readonly number[];
  /** The methods' drop rate and the HiddenKey KL weight. */
  readonly rate: number;
  /** The KL weight of HiddenKey. */
  readonly klWeight: number;
}

const SPECS: Readonly<Record<NlgPreset, NlgPresetSpec>> = {
  smoke: {
    preset: "smoke",
    model: "loradrop-small:smoke",
    task: "e2e-style",
    dataSizes: { train: 120, test: 8 },
    finetune: {
      ...NLG_FINETUNE_PRESETS.smoke,
      steps: 20,
      decoding: { ...NLG_FINETUNE_PRESETS.smoke.decoding, maxNewTokens: 24 },
    },
    seeds: [0],
    rate: 0.1,
    klWeight: 1,
  },
  quick: {
    preset: "quick",
    model: "loradrop-small:default",
    task: "e2e-style",
    dataSizes: { train: 200, test: 30 },
    finetune: {
      ...NLG_FINETUNE_PRESETS.scaled,
      decoding: { ...NLG_FINETUNE_PRESETS.scaled.decoding, numBeams: 3, maxNewTokens: 40 },
    },
    seeds: [0, 1, 2],
    rate: 0.1,
    klWeight: 1,
  },
  paper: {
    preset: "paper",
    model: "gpt2-medium",
    task: "e2e",
    finetune: NLG_FINETUNE_PRESETS.paper,
    seeds: [0, 1, 2],
    rate: 0.1,
    klWeight: 1,
  },
};

/**
 * The settings of an NLG preset.
 *
 * @param preset `smoke`, `quick` or `paper`.
 * @returns The preset's spec.
 * @example
 * ```ts
 * import { nlgPresetSpec } from "@loradrop/core/nlg";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(nlgPresetSpec("paper").finetune.decoding.numBeams, 10);
 * assertThrows(() => nlgPresetSpec("full" as "smoke"), RangeError, "full");
 * ```
 */
export function nlgPresetSpec(preset: NlgPreset): NlgPresetSpec {
  const spec = SPECS[preset];
  if (spec === undefined) {
    throw new RangeError(
      `Cannot use NLG preset "${preset}": expected one of ${NLG_PRESETS.join(", ")}`,
    );
  }
  return spec;
}

/**
 * The runs of an NLG preset: every seed × method, seed by seed (an interrupted grid still has
 * whole seeds). `steps` is 0 when the preset trains by epochs.
 *
 * @param preset The preset.
 * @returns The run specs.
 * @example
 * ```ts
 * import { nlgRunSpecs } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const runs = nlgRunSpecs("quick");
 * assertEquals(runs.length, 5 * 3);
 * assertEquals(runs.find((r) => r.method === "hiddenKey")?.klWeight, 1);
 * assertEquals(runs.find((r) => r.method === "baseline")?.rate, 0);
 * ```
 */
export function nlgRunSpecs(preset: NlgPreset): RunSpec[] {
  const s = nlgPresetSpec(preset);
  const out: RunSpec[] = [];
  for (const seed of s.seeds) {
    for (const method of NLG_METHODS) {
      out.push({
        task: s.task,
        model: s.model,
        ...methodFields(method, s.rate, s.klWeight),
        rank: s.finetune.lora.r,
        alpha: s.finetune.lora.alpha,
        seed,
        steps: s.finetune.steps ?? 0,
        ...(s.finetune.steps === undefined ? { epochs: s.finetune.epochs ?? 1 } : {}),
        batchSize: s.finetune.batchSize,
        learningRate: s.finetune.lr,
        evalEvery: 0,
        maxLength: 0,
      });
    }
  }
  return out;
}
