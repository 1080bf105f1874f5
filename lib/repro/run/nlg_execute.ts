/**
 * Executing the NLG track's runs: loading the base decoder, tokenizer and data a preset needs
 * (once, shared by its runs) and running one method × seed through `finetuneE2e`, stored like the
 * NLU runs (`<dir>/runs/<specHash>.json`) with the NLG scores and generations added.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { randomKey } from "../../random.ts";
import type { DropoutPlan } from "../../dropout/spec.ts";
import { loadHfDecoder } from "../../io/hf_model.ts";
import type { HubOptions } from "../../io/hub.ts";
import { loadGpt2Tokenizer } from "../../tokenizers/gpt2.ts";
import type { StepEvent } from "../../train/train.ts";
import type { E2eExample } from "../../nlg/data/types.ts";
import { generateE2eStyle } from "../../nlg/data/e2e_synthetic.ts";
import { loadE2e } from "../../nlg/data/e2e.ts";
import { LORA_NLG_EOS_ID } from "../../nlg/data/linearize.ts";
import {
  finetuneE2e,
  type FinetuneE2eOptions,
  type NlgRunResult,
} from "../../nlg/finetune/finetune.ts";
import {
  PRETRAIN_EOS_ID,
  pretrainDecoder,
  type PretrainInfo,
} from "../../nlg/pretrain/pretrain.ts";
import { PRETRAIN_PRESETS } from "../../nlg/pretrain/presets.ts";
import type { RunSpec } from "../plan/run_spec.ts";
import { type NlgPreset, nlgPresetSpec } from "../plan/nlg_experiments.ts";
import { executeLocked } from "./locked_run.ts";
import { dropoutPlanOf } from "./dropout_plan.ts";
import { saveStoredRun, type StoredRun } from "./store.ts";

/** What a preset's runs share. */
export interface NlgResources
  extends Pick<FinetuneE2eOptions, "base" | "baseName" | "tokenizer" | "eosId" | "train"> {
  /** The preset. */
  readonly preset: NlgPreset;
  /** The spec's model name (`loradrop-small:default`, `gpt2-medium`, …). */
  readonly model: string;
  /** Test MRs with references. */
  readonly test: readonly E2eExample[];
  /** The pretraining's record, for loradrop's own decoder. */
  readonly pretrainInfo?: PretrainInfo;
}

/** A stored NLG run: the trainer's record plus Table 2's scores and the generations. */
export interface NlgStoredRun extends StoredRun {
  /** The NLG results: Table 2's scores on the test MRs, the generations, seconds of beam search. */
  readonly nlg: Pick<NlgRunResult, "scores" | "generations" | "generationSeconds">;
}

/** Options of {@linkcode loadNlgResources}. */
export interface LoadNlgResourcesOptions extends HubOptions {
  /** loradrop's cache root (pretrained decoders); `$LORADROP_CACHE` or `~/.cache/loradrop`. */
  readonly cacheDir?: string;
  /** The E2E data folder for the `paper` preset; `$LORADROP_E2E_DIR` by default. */
  readonly e2eDir?: string;
  /** Messages (pretraining progress, …). */
  readonly log?: (message: string) => void;
  /** Pretraining progress bar (default: on a terminal). */
  readonly progress?: boolean;
}

async function firstFile(dir: string, names: readonly string[]): Promise<string> {
  for (const name of names) {
    try {
      if ((await Deno.stat(`${dir}/${name}`)).isFile) return `${dir}/${name}`;
    } catch {
      // try the next name
    }
  }
  throw new Error(
    `Cannot load E2E from ${dir}: none of ${names.join(", ")} is there (download the E2E NLG ` +
      "challenge CSVs or the Hugging Face e2e_nlg parquet files into it)",
  );
}

/**
 * Loads what a preset's runs share: for `smoke`/`quick` loradrop's pretrained decoder (trained
 * now, or read from the cache) with USE-lite and the generated E2E-style data; for `paper`
 * GPT-2 Medium, its BPE tokenizer and the E2E files.
 *
 * @param preset The NLG preset.
 * @param options Cache and data folders, logging.
 * @returns The resources; free them with {@linkcode disposeNlgResources}.
 * @example
 * ```ts ignore
 * import { loadNlgResources } from "@loradrop/core/nlg";
 * const resources = await loadNlgResources("smoke");
 * console.log(resources.baseName, resources.train.length);
 * ```
 */
export async function loadNlgResources(
  preset: NlgPreset,
  options: LoadNlgResourcesOptions = {},
): Promise<NlgResources> {
  const spec = nlgPresetSpec(preset);
  if (spec.model.startsWith("loradrop-small:")) {
    const pretrainPreset = spec.model.slice("loradrop-small:".length);
    if (!(pretrainPreset in PRETRAIN_PRESETS)) {
      throw new RangeError(
        `Cannot load NLG resources: unknown pretraining preset "${pretrainPreset}"`,
      );
    }
    const pre = await pretrainDecoder({
      preset: pretrainPreset as keyof typeof PRETRAIN_PRESETS,
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(options.progress === undefined ? {} : { progress: options.progress }),
    });
    const sizes = spec.dataSizes ?? { train: 200, test: 40 };
    const data = generateE2eStyle(randomKey(0), {
      sizes: { train: sizes.train, validation: 1, test: sizes.test },
    });
    const tok = pre.tokenizer;
    return {
      preset,
      model: spec.model,
      base: pre.model,
      baseName: `loradrop-small/${pre.dir.split("/").at(-1)}`,
      tokenizer: {
        name: tok.name,
        encode: (t) => tok.encode(t),
        decode: (ids) => tok.decode(ids),
      },
      eosId: PRETRAIN_EOS_ID,
      train: data.train,
      test: data.test.slice(0, spec.maxTestMrs ?? data.test.length),
      ...(pre.info === undefined ? {} : { pretrainInfo: pre.info }),
    };
  }
  const e2eDir = options.e2eDir ?? Deno.env.get("LORADROP_E2E_DIR");
  if (e2eDir === undefined) {
    throw new Error(
      "Cannot load the paper preset's data: set LORADROP_E2E_DIR (or --e2e) to a folder with the E2E NLG challenge CSVs or the e2e_nlg parquet files",
    );
  }
  const train = await loadE2e(
    await firstFile(e2eDir, ["trainset.csv", "train.csv", "train-00000-of-00001.parquet"]),
  );
  const test = await loadE2e(
    await firstFile(e2eDir, ["testset_w_refs.csv", "test.csv", "test-00000-of-00001.parquet"]),
  );
  const hub: HubOptions = options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir };
  const model = await loadHfDecoder(spec.model, hub);
  const tok = await loadGpt2Tokenizer();
  return {
    preset,
    model: spec.model,
    base: { config: model.config, weights: model.weights },
    baseName: spec.model,
    tokenizer: { name: tok.name, encode: (t) => tok.encode(t), decode: (ids) => tok.decode(ids) },
    eosId: LORA_NLG_EOS_ID,
    train,
    test: test.slice(0, spec.maxTestMrs ?? test.length),
  };
}

/**
 * Frees the base decoder's weights.
 *
 * @param resources What {@linkcode loadNlgResources} returned.
 */
export function disposeNlgResources(resources: NlgResources): void {
  tf.dispose(resources.base.weights as unknown as tf.TensorContainer);
}

/** Options of {@linkcode executeNlgRun}. */
export interface ExecuteNlgRunOptions {
  /** The results folder (`runs/` and `train/` go below it). */
  readonly dir: string;
  /** The backend's name (part of the run's identity). */
  readonly backend: string;
  /** Per-step events (live curves). */
  readonly onStep?: (event: StepEvent) => void | Promise<void>;
  /** The trainer's progress bar. */
  readonly progress?: boolean;
  /** Told when a run's lock is taken over from an ended process (default: a warning). */
  readonly onNotice?: (message: string) => void;
}

/**
 * Runs one NLG spec (fine-tuning, beam search, metrics) and stores it under `dir`, holding the
 * run's lock meanwhile (a run another live process holds is a `RunLockedError`; one stored
 * meanwhile is returned, not run again).
 *
 * @param spec The run.
 * @param resources The preset's shared resources.
 * @param options Results folder, backend, live events.
 * @returns The stored run.
 * @example
 * ```ts ignore
 * import { executeNlgRun, loadNlgResources } from "@loradrop/core/nlg";
 * import { nlgRunSpecs } from "@loradrop/core/nlg";
 * const resources = await loadNlgResources("smoke");
 * const run = await executeNlgRun(nlgRunSpecs("smoke")[0]!, resources, { dir: "results/nlg-smoke", backend: "wasm" });
 * console.log(run.nlg.scores);
 * ```
 */
export async function executeNlgRun(
  spec: RunSpec,
  resources: NlgResources,
  options: ExecuteNlgRunOptions,
): Promise<NlgStoredRun> {
  const preset = nlgPresetSpec(resources.preset);
  const plan = dropoutPlanOf(spec);
  const settings = {
    ...preset.finetune,
    lr: spec.learningRate,
    batchSize: spec.batchSize,
    lora: { ...preset.finetune.lora, r: spec.rank, alpha: spec.alpha },
    ...(spec.steps > 0 ? { steps: spec.steps } : { epochs: spec.epochs ?? 1 }),
  };
  if (spec.steps === 0) delete (settings as { steps?: number }).steps;
  return await executeLocked(spec, resources.model, {
    dir: options.dir,
    backend: options.backend,
    ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
  }, (specHash) => finetuneAndStore(spec, specHash, plan, settings, resources, options));
}

async function finetuneAndStore(
  spec: RunSpec,
  specHash: string,
  plan: DropoutPlan,
  settings: FinetuneE2eOptions["settings"],
  resources: NlgResources,
  options: ExecuteNlgRunOptions,
): Promise<NlgStoredRun> {
  const result = await finetuneE2e({
    base: resources.base,
    baseName: resources.baseName,
    tokenizer: resources.tokenizer,
    eosId: resources.eosId,
    train: resources.train,
    evaluation: resources.test,
    plan,
    seeds: { init: spec.seed, data: spec.seed, dropout: spec.seed },
    settings,
    outDir: `${options.dir}/train`,
    describe: { method: spec.method, preset: resources.preset, task: spec.task },
    ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
    progress: options.progress ?? false,
  });
  const stored: NlgStoredRun = {
    spec,
    specHash,
    backend: options.backend,
    record: result.record,
    nlg: {
      scores: result.scores,
      generations: result.generations,
      generationSeconds: result.generationSeconds,
    },
  };
  await saveStoredRun(options.dir, stored);
  return stored;
}
