/**
 * The memory benchmark of a long training run (`deno task bench:memory`), for the target
 * "no growth of live tensors or of RSS over 1,000 steps": the default model (USE-lite, LoRA
 * r = 8 on q, v, the setup of `bench/model_bench.ts`) trains `--steps` steps of one method with a
 * fresh random key per step, on a fixed batch; every `--every` steps it samples RSS
 * (`Deno.memoryUsage().rss`), the JS heap used, `tf.memory().numTensors` / `numBytes` and the
 * wasm backend's heap (its `WebAssembly.Memory`, which only ever grows). With
 * `--v8-flags=--expose-gc` (the task passes it) a full GC runs before each sample, so the JS heap
 * figure is live data, not garbage waiting for collection.
 *
 * ```sh
 * deno task bench:memory [--steps 1000] [--every 50] [--method hiddenKey] [--batch 8] [--seq 16]
 *                        [--rate 0.1] [--warmup 100] [--backend wasm] [--max-slope 1]
 *                        [--max-delta 2] [--json FILE]
 * ```
 * The default method, HiddenKey, runs two forward passes (the most live tensors of the presets).
 * The default batch 8 × 16 is small so that 1,000 steps take about 3 min on wasm (~180 ms a
 * step measured here): a leak shows per step whatever the batch size. The warm-up (default
 * min(100, steps / 4)) leaves out the first steps, in which the wasm heap and the allocators grow
 * to their working size (RSS rose for ~60-100 steps in trial runs, then levelled off).
 *
 * Verdict (printed with the numbers): live tensors are "flat" when every sample after the
 * warm-up has exactly the same count; RSS is "flat" when the least-squares slope of RSS over the
 * second half of the samples is below `--max-slope` MB per 1,000 steps and the last sample is
 * at most `--max-delta` MB above the first after the warm-up. Under `deno bench` this file does
 * nothing.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import { disposeUseLite, loadUseLite } from "../lib/io/use_lite.ts";
import { PRESET_NAMES } from "../lib/dropout/presets.ts";
import { foldIn, randomKey } from "../lib/random.ts";
import { trainStep } from "../lib/train/train_step.ts";
import { benchBatch, benchTrainer } from "./_step_setup.ts";
import { argsOrExit } from "./_cli.ts";
import { choiceFlag, defineCommand, numberFlag, parseCommandLine } from "../cli/_args.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";

/** One sample of the process's memory, taken after `step` training steps. */
export interface MemorySample {
  /** Training steps done before the sample. */
  readonly step: number;
  /** Resident set size, MB (2^20 bytes). */
  readonly rssMB: number;
  /** V8 heap used, MB. */
  readonly heapUsedMB: number;
  /** `Deno.memoryUsage().external` (memory of JS objects held outside V8's heap), MB. */
  readonly externalMB: number;
  /** `tf.memory().numTensors`. */
  readonly numTensors: number;
  /** `tf.memory().numBytes`. */
  readonly numBytes: number;
  /** The wasm backend's heap (`HEAPU8.length`), MB; null on other backends. */
  readonly wasmHeapMB: number | null;
  /** Mean wall time per step since the previous sample, ms (0 for the first sample). */
  readonly msPerStep: number;
}

/** The thresholds of {@linkcode memoryVerdict}. */
export interface VerdictRule {
  /** Samples with `step` below this are warm-up and ignored. */
  readonly warmup: number;
  /** RSS is flat when its slope over the second half is below this, MB per 1,000 steps. */
  readonly maxSlopeMB: number;
  /** …and the last sample is at most this many MB above the first after the warm-up. */
  readonly maxDeltaMB: number;
}

/** What {@linkcode memoryVerdict} concludes. */
export interface MemoryVerdict {
  /** Samples after the warm-up. */
  readonly samples: number;
  /** The live-tensor counts seen after the warm-up (distinct values, ascending). */
  readonly tensorCounts: readonly number[];
  /** "flat" when exactly one count was seen. */
  readonly tensors: "flat" | "grows";
  /** Least-squares slope of RSS over the second half of the samples, MB per 1,000 steps. */
  readonly rssSlopeMB: number;
  /** The slope's standard error (residual noise), MB per 1,000 steps. */
  readonly rssSlopeErrorMB: number;
  /** RSS of the last sample minus the first after the warm-up, MB. */
  readonly rssDeltaMB: number;
  /** The same for the wasm heap (null off wasm). */
  readonly wasmHeapDeltaMB: number | null;
  /** The same for the JS heap. */
  readonly heapDeltaMB: number;
  /** "flat" when the slope and the delta are within the rule. */
  readonly rss: "flat" | "grows";
}

/**
 * The least-squares slope of `ys` against `xs`, with its standard error (NaN below 3 points).
 *
 * @param xs Abscissae (at least two distinct values).
 * @param ys Ordinates, as many as `xs`.
 * @returns dy/dx and its standard error.
 * @example
 * ```ts
 * import { slopeFit } from "./memory_bench.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * const fit = slopeFit([0, 1, 2, 3], [1, 3, 5, 7]);
 * assertAlmostEquals(fit.slope, 2);
 * assertAlmostEquals(fit.stdError, 0);
 * ```
 */
export function slopeFit(
  xs: readonly number[],
  ys: readonly number[],
): { slope: number; stdError: number } {
  if (xs.length !== ys.length || xs.length < 2) {
    throw new RangeError(
      `Cannot fit a slope: expected two equally long arrays of >= 2 points, received ${xs.length} and ${ys.length}`,
    );
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  if (sxx === 0) throw new RangeError("Cannot fit a slope: expected distinct xs, received one x");
  const b = sxy / sxx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i]! - my - b * (xs[i]! - mx)) ** 2;
  return { slope: b, stdError: n > 2 ? Math.sqrt(ssr / (n - 2) / sxx) : NaN };
}

/**
 * Decides from the samples whether live tensors and RSS stay flat (the rule is
 * {@linkcode VerdictRule}'s; the second half is taken of the samples after the warm-up).
 *
 * @param samples The samples, in step order.
 * @param rule Warm-up and thresholds.
 * @returns The numbers and the two decisions.
 * @example
 * ```ts
 * import { memoryVerdict } from "./memory_bench.ts";
 * import { assertEquals } from "@std/assert";
 * const s = (step: number, rssMB: number, numTensors: number) =>
 *   ({ step, rssMB, heapUsedMB: 10, externalMB: 0, numTensors, numBytes: 0, wasmHeapMB: null, msPerStep: 1 });
 * const rule = { warmup: 100, maxSlopeMB: 1, maxDeltaMB: 2 };
 * const flat = memoryVerdict([s(0, 50, 3), s(100, 90, 9), s(200, 90.2, 9), s(300, 90, 9), s(400, 90.1, 9)], rule);
 * assertEquals([flat.tensors, flat.rss], ["flat", "flat"]);
 * const leak = memoryVerdict([s(100, 90, 9), s(200, 95, 10), s(300, 100, 11), s(400, 105, 12)], rule);
 * assertEquals([leak.tensors, leak.rss], ["grows", "grows"]);
 * ```
 */
export function memoryVerdict(
  samples: readonly MemorySample[],
  rule: VerdictRule,
): MemoryVerdict {
  const after = samples.filter((s) => s.step >= rule.warmup);
  if (after.length < 2) {
    throw new RangeError(
      `Cannot judge memory: expected >= 2 samples at or after step ${rule.warmup}, received ${after.length}`,
    );
  }
  const half = after.slice(Math.floor(after.length / 2));
  // With 2-3 samples after the warm-up the second half has 1-2 points: fit over all of them then.
  const fit = half.length >= 2 ? half : after;
  const first = after[0]!, last = after[after.length - 1]!;
  const rssFit = slopeFit(fit.map((s) => s.step), fit.map((s) => s.rssMB));
  const rssSlopeMB = rssFit.slope * 1000;
  const rssDeltaMB = last.rssMB - first.rssMB;
  const tensorCounts = [...new Set(after.map((s) => s.numTensors))].sort((a, b) => a - b);
  return {
    samples: after.length,
    tensorCounts,
    tensors: tensorCounts.length === 1 ? "flat" : "grows",
    rssSlopeMB,
    rssSlopeErrorMB: rssFit.stdError * 1000,
    rssDeltaMB,
    wasmHeapDeltaMB: first.wasmHeapMB === null || last.wasmHeapMB === null
      ? null
      : last.wasmHeapMB - first.wasmHeapMB,
    heapDeltaMB: last.heapUsedMB - first.heapUsedMB,
    rss: rssSlopeMB < rule.maxSlopeMB && rssDeltaMB <= rule.maxDeltaMB ? "flat" : "grows",
  };
}

interface Args {
  steps: number;
  every: number;
  method: string;
  batch: number;
  seq: number;
  rate: number;
  warmup?: number | undefined;
  backend?: string | undefined;
  maxSlope: number;
  maxDelta: number;
  json?: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const v = parseCommandLine(COMMAND, argv).values;
  const int = (name: "steps" | "every" | "batch" | "seq" | "warmup", min: number) =>
    numberFlag(name, v[name], { integer: true, min });
  const atLeastZero = (name: "rate" | "max-slope" | "max-delta", fallback: number) =>
    numberFlag(name, v[name], { fallback, min: 0 });
  return {
    steps: int("steps", 2) ?? 1000,
    every: int("every", 1) ?? 50,
    method: choiceFlag("method", v.method ?? "hiddenKey", PRESET_NAMES),
    batch: int("batch", 1) ?? 8,
    seq: int("seq", 1) ?? 16,
    rate: atLeastZero("rate", 0.1),
    warmup: int("warmup", 0),
    backend: v.backend,
    maxSlope: atLeastZero("max-slope", 1),
    maxDelta: atLeastZero("max-delta", 2),
    json: v.json,
  };
}

const MB = 2 ** 20;

/** The wasm backend's heap in MB, or null when the active backend has none. */
function wasmHeapMB(): number | null {
  // deno-lint-ignore no-explicit-any
  const heap = (tf.backend() as any)?.wasm?.HEAPU8 as Uint8Array | undefined;
  return heap === undefined ? null : heap.length / MB;
}

function formatTable(samples: readonly MemorySample[], warmup: number): string {
  const lines = [
    "| step | RSS MB | JS heap MB | external MB | live tensors | tensor MB | wasm heap MB | ms/step |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const s of samples) {
    lines.push(
      `| ${s.step}${s.step < warmup ? " (warm-up)" : ""} | ${s.rssMB.toFixed(1)} | ${
        s.heapUsedMB.toFixed(1)
      } | ${s.externalMB.toFixed(1)} | ${s.numTensors} | ${(s.numBytes / MB).toFixed(2)} | ${
        s.wasmHeapMB === null ? "–" : s.wasmHeapMB.toFixed(0)
      } | ${s.step === 0 ? "–" : s.msPerStep.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

const COMMAND = defineCommand({
  command: "deno task bench:memory",
  usage: `Usage: deno task bench:memory [--steps 1000] [--every 50] [--method hiddenKey] [--batch 8]
                              [--seq 16] [--rate 0.1] [--warmup 100] [--backend wasm]
                              [--max-slope 1] [--max-delta 2] [--json FILE]
  RSS, JS heap, live tensors and the wasm heap over a long run; fails when they grow.`,
  flags: {
    steps: "string",
    every: "string",
    method: "string",
    batch: "string",
    seq: "string",
    rate: "string",
    warmup: "string",
    backend: "string",
    "max-slope": "string",
    "max-delta": "string",
    json: "string",
  },
});

if (import.meta.main) {
  const args = argsOrExit(parseArgs, COMMAND);
  const warmup = args.warmup ?? Math.min(100, Math.floor(args.steps / 4));
  if (warmup >= args.steps) {
    console.error(
      `Cannot run the memory bench: --warmup must be below --steps (${args.steps}), received ${warmup}`,
    );
    Deno.exit(2);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  const info = await initBackend(
    args.backend === undefined ? {} : { backend: parseBackendName(args.backend) },
  );
  console.log(
    `loradrop memory over ${args.steps} steps: USE-lite, LoRA r=8 on q,v, method ${args.method} ` +
      `(rate ${args.rate}), batch ${args.batch}×${args.seq} (small so that 1,000 steps ` +
      `take ~3 min on wasm; leaks show per step), backend ${info.active}, a fresh key per step, a sample every ${args.every} steps, ` +
      `warm-up ${warmup} steps, ${
        gc ? "full GC before each sample" : "no GC control (run with --v8-flags=--expose-gc)"
      }`,
  );
  const base = await loadUseLite();
  const batch = benchBatch(base, args.batch, args.seq);
  const trainer = benchTrainer(base, args.method, args.rate);
  const key = randomKey(7);
  const samples: MemorySample[] = [];
  let last = performance.now();
  const sample = (step: number, stepsSince: number) => {
    const now = performance.now();
    const msPerStep = stepsSince > 0 ? (now - last) / stepsSince : 0;
    gc?.();
    const mem = Deno.memoryUsage();
    const tfm = tf.memory();
    samples.push({
      step,
      rssMB: mem.rss / MB,
      heapUsedMB: mem.heapUsed / MB,
      externalMB: mem.external / MB,
      numTensors: tfm.numTensors,
      numBytes: tfm.numBytes,
      wasmHeapMB: wasmHeapMB(),
      msPerStep,
    });
    last = performance.now();
  };
  let lastLoss = NaN;
  try {
    sample(0, 0);
    let since = 0;
    for (let i = 0; i < args.steps; i++) {
      const result = trainStep(trainer.model, trainer.opt, batch, trainer.plan, foldIn(key, i), {
        lr: 1e-4,
      });
      lastLoss = result.loss;
      since++;
      const step = i + 1;
      if (step % args.every === 0 || step === args.steps) {
        sample(step, since);
        since = 0;
        const s = samples.at(-1)!;
        console.error(
          `  step ${step}: RSS ${s.rssMB.toFixed(1)} MB, ${s.numTensors} tensors, ${
            s.msPerStep.toFixed(1)
          } ms/step`,
        );
      }
    }
  } finally {
    trainer.dispose();
    batch.dispose();
    disposeUseLite(base);
  }
  console.log(formatTable(samples, warmup));
  const rule = { warmup, maxSlopeMB: args.maxSlope, maxDeltaMB: args.maxDelta };
  const v = memoryVerdict(samples, rule);
  console.log(`last loss ${lastLoss.toFixed(4)}`);
  console.log(
    `live tensors after step ${warmup} (${v.samples} samples): ${
      v.tensorCounts.join(", ")
    } → ${v.tensors} (rule: flat = the same count at every sample after the warm-up)`,
  );
  console.log(
    `RSS after step ${warmup}: slope ${v.rssSlopeMB.toFixed(2)} ± ${
      v.rssSlopeErrorMB.toFixed(2)
    } (std. error) MB per 1,000 steps over the second half, last − first ${
      v.rssDeltaMB.toFixed(2)
    } MB ` +
      `(JS heap ${v.heapDeltaMB.toFixed(2)} MB, wasm heap ${
        v.wasmHeapDeltaMB === null ? "–" : `${v.wasmHeapDeltaMB.toFixed(0)} MB`
      }) → ${v.rss} (rule: flat = slope < ${args.maxSlope} MB per 1,000 steps and last − first ` +
      `≤ ${args.maxDelta} MB)`,
  );
  console.log(
    `verdict: tensors ${v.tensors}, RSS ${v.rss}${
      v.tensors === "flat" && v.rss === "flat" ? " — target met" : " — target missed"
    }`,
  );
  if (args.json !== undefined) {
    await writeFileAtomic(
      args.json,
      JSON.stringify(
        { args: { ...args, warmup }, backend: info.active, samples, verdict: v },
        null,
        2,
      ) +
        "\n",
    );
  }
}
