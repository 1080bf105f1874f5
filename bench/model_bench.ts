// The training-step benchmark of loradrop's default model (`deno task bench`): USE-lite, LoRA
// r = 8 (α = 16) on q and v, a 2-class head on mean pooling, batch 32 × 32 tokens, one
// `trainStep` (forward, loss, backward over model.trainable, clipping, AdamW) per timing.
// Methods: baseline, DropKey-column, DropAttention-element, HiddenCut-element, HiddenKey⁻ and
// HiddenKey (rate 0.1, KL weight 1), on wasm and cpu, and tensorflow when tfjs-node loads.
// Printed per backend and method: median ms/step over ≥ 20 timed steps after warm-up (and the
// min), the median process CPU time per step (less disturbed by other load on the machine),
// tokens/s, achieved GFLOP/s from lib/perf/flops.ts, the step time relative to the baseline's,
// the peak tf.memory().numBytes during a step, and the live tensors before/after its last step.
// Methods are interleaved: one step of each in turn per round, so machine noise hits all alike.
//
//   deno task bench [--backends wasm,cpu,tensorflow?] [--methods a,b] [--steps 20] [--warmup 3]
//                   [--cpu-steps N] [--batch 32] [--seq 32] [--rate 0.1] [--json FILE]
//
// The cpu backend is ~25× slower than wasm (~27 s a step here): it runs --cpu-steps timed steps
// (default 3, after 1 warm-up; --cpu-steps 20 for the full count, about an hour). `tensorflow?`
// in --backends: only when tfjs-node loads (the default). With LORADROP_WASM_THREADS=N (N > 1)
// wasm runs multi-threaded and its rows are labelled `wasm-NT`. Under `deno bench` this file does
// nothing.
import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { type BackendName, initBackend, parseBackendName } from "../lib/backend.ts";
import { disposeUseLite, loadUseLite } from "../lib/io/use_lite.ts";
import { foldIn, randomKey } from "../lib/random.ts";
import { trainStep } from "../lib/train/train_step.ts";
import { trainingStepFlops } from "../lib/perf/flops.ts";
import { BENCH_LORA, BENCH_METHOD_LABELS, benchBatch, benchTrainer } from "./_step_setup.ts";
import { argsOrExit } from "./_cli.ts";
import { defineCommand, listFlag, numberFlag, parseCommandLine } from "../cli/_args.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";

/**
 * Every method --methods accepts: the default set, plus HiddenKey with both passes trained
 * (R-Drop style: the second pass is recorded on the tape, the cost of not treating it as a
 * constant target).
 */
const BENCH_METHODS: Readonly<Record<string, string>> = {
  ...BENCH_METHOD_LABELS,
  "hiddenKey-both": "HiddenKey (both passes on the tape)",
};

/** One measured (backend, method) cell. */
interface BenchRow {
  readonly backend: string;
  readonly method: string;
  readonly steps: number;
  readonly medianMs: number;
  readonly minMs: number;
  /** Median process CPU time per step (user + system): robust to other load on the machine. */
  readonly cpuMs: number;
  readonly tokensPerS: number;
  readonly gflopPerStep: number;
  readonly gflopPerS: number;
  readonly peakMB: number;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly lastLoss: number;
}

interface Args {
  backends: BackendName[];
  methods: string[];
  steps: number;
  /** Timed steps on cpu; default min(3, steps). */
  cpuSteps?: number | undefined;
  warmup: number;
  batch: number;
  seq: number;
  rate: number;
  json?: string | undefined;
  /** tensorflow is benched only when it loads, unless --backends names it. */
  tensorflowOptional: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const v = parseCommandLine(COMMAND, argv).values;
  const int = (name: "steps" | "cpu-steps" | "warmup" | "batch" | "seq", min: number) =>
    numberFlag(name, v[name], { integer: true, min });
  // "tensorflow?": bench it only when it loads.
  const backends = v.backends ?? "wasm,cpu,tensorflow?";
  return {
    backends: listFlag("backends", backends).map((b) => parseBackendName(b.replace(/\?$/, ""))),
    tensorflowOptional: /(^|,)\s*tensorflow\?/.test(backends),
    methods: v.methods === undefined
      ? Object.keys(BENCH_METHOD_LABELS)
      : listFlag("methods", v.methods, Object.keys(BENCH_METHODS)),
    steps: int("steps", 1) ?? 20,
    cpuSteps: int("cpu-steps", 1),
    warmup: int("warmup", 0) ?? 3,
    batch: int("batch", 1) ?? 32,
    seq: int("seq", 1) ?? 32,
    rate: numberFlag("rate", v.rate, { fallback: 0.1, min: 0, lessThan: 1 }),
    json: v.json,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function benchBackend(
  backend: BackendName,
  args: Args,
  log: (line: string) => void,
): Promise<BenchRow[]> {
  const info = await initBackend({ backend });
  // A multi-threaded wasm run (LORADROP_WASM_THREADS) is labelled apart: "wasm-2T".
  const label = info.threads !== undefined && info.threads > 1
    ? `${backend}-${info.threads}T`
    : backend;
  const base = await loadUseLite();
  const rows: BenchRow[] = [];
  const { batch: b, seq: t } = args;
  const batch = benchBatch(base, b, t);
  const cpu = backend === "cpu";
  const steps = cpu ? args.cpuSteps ?? Math.min(3, args.steps) : args.steps;
  const warmup = cpu ? Math.min(1, args.warmup) : args.warmup;
  // Interleaved: every method is built first, then each round times one step of every method in
  // turn, so a slower or busier stretch of the machine falls on all methods alike and the ratios
  // to the baseline stay fair. A step must leave the live-tensor count where it found it.
  const cells = args.methods.map((method) => {
    const trainer = benchTrainer(base, method, args.rate);
    const { plan } = trainer;
    const flops = trainingStepFlops({
      layers: base.config.layers,
      batch: b,
      seqLen: t,
      lora: { r: BENCH_LORA.r, targets: BENCH_LORA.targets },
      numOutputs: 2,
      consistency: plan.consistency === undefined ? "none" : plan.consistency.branches,
    }).total;
    return {
      method,
      trainer,
      flops,
      times: [] as number[],
      cpuTimes: [] as number[],
      peak: 0,
      lastLoss: NaN,
      tensorsBefore: 0,
      tensorsAfter: 0,
    };
  });
  try {
    const key = randomKey(7);
    for (let i = 0; i < warmup + steps; i++) {
      for (const cell of cells) {
        const { model, opt, plan } = cell.trainer;
        cell.tensorsBefore = tf.memory().numTensors;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const result = trainStep(model, opt, batch, plan, foldIn(key, i), { lr: 1e-4 });
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        cell.tensorsAfter = tf.memory().numTensors;
        if (i >= warmup) {
          cell.times.push(ms);
          cell.cpuTimes.push((c.user + c.system) / 1000);
        }
        cell.peak = Math.max(cell.peak, result.peakBytes);
        cell.lastLoss = result.loss;
      }
    }
    for (const cell of cells) {
      const med = median(cell.times);
      const row: BenchRow = {
        backend: label,
        method: cell.method,
        steps,
        medianMs: med,
        minMs: Math.min(...cell.times),
        cpuMs: median(cell.cpuTimes),
        tokensPerS: (b * t) / (med / 1000),
        gflopPerStep: cell.flops / 1e9,
        gflopPerS: cell.flops / 1e9 / (med / 1000),
        peakMB: cell.peak / 2 ** 20,
        tensorsBefore: cell.tensorsBefore,
        tensorsAfter: cell.tensorsAfter,
        lastLoss: cell.lastLoss,
      };
      rows.push(row);
      log(
        `  ${label} ${BENCH_METHODS[cell.method]}: ${med.toFixed(1)} ms/step (min ${
          row.minMs.toFixed(1)
        }, ${steps} steps)`,
      );
    }
  } finally {
    for (const cell of cells) cell.trainer.dispose();
    batch.dispose();
    disposeUseLite(base);
  }
  return rows;
}

/** The table the bench prints (markdown). */
function formatTable(rows: readonly BenchRow[]): string {
  const lines = [
    "| backend | method | ms/step (median) | min | CPU ms/step | steps | tokens/s | GFLOP/step | GFLOP/s | × baseline | peak MB | tensors before → after |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const base = rows.find((x) => x.backend === r.backend && x.method === "baseline");
    lines.push(
      `| ${r.backend} | ${BENCH_METHODS[r.method]} | ${r.medianMs.toFixed(1)} | ${
        r.minMs.toFixed(1)
      } | ${r.cpuMs.toFixed(1)} | ${r.steps} | ${r.tokensPerS.toFixed(0)} | ${
        r.gflopPerStep.toFixed(2)
      } | ${r.gflopPerS.toFixed(1)} | ${base ? (r.medianMs / base.medianMs).toFixed(2) : "–"} | ${
        r.peakMB.toFixed(0)
      } | ${r.tensorsBefore} → ${r.tensorsAfter} |`,
    );
  }
  return lines.join("\n");
}

const COMMAND = defineCommand({
  command: "deno task bench",
  usage: `Usage: deno task bench [--backends wasm,cpu,tensorflow?] [--methods a,b] [--steps 20]
                       [--warmup 3] [--cpu-steps N] [--batch 32] [--seq 32] [--rate 0.1] [--json FILE]
  The training step of the default model per backend and method: ms/step, CPU time, tokens/s,
  GFLOP/s, peak memory. "tensorflow?" runs tfjs-node only when it loads.`,
  flags: {
    backends: "string",
    methods: "string",
    steps: "string",
    "cpu-steps": "string",
    warmup: "string",
    batch: "string",
    seq: "string",
    rate: "string",
    json: "string",
  },
});

if (import.meta.main) {
  const args = argsOrExit(parseArgs, COMMAND);
  const rows: BenchRow[] = [];
  const skipped: string[] = [];
  console.log(
    `loradrop training step: USE-lite, LoRA r=8 on q,v, batch ${args.batch}×${args.seq}, ` +
      `rate ${args.rate}, warm-up ${args.warmup}, ${args.steps} timed steps (cpu ${
        args.cpuSteps ?? Math.min(3, args.steps)
      } after 1)`,
  );
  for (const backend of args.backends) {
    try {
      rows.push(...await benchBackend(backend, args, console.log));
    } catch (error) {
      const message = (error as Error).message;
      if (
        backend === "tensorflow" && args.tensorflowOptional && message.includes("Cannot initialise")
      ) {
        skipped.push(`tensorflow skipped: ${message.split(" (")[0]} (deno task setup:native)`);
        continue;
      }
      console.error(`bench failed on ${backend}: ${message}`);
      Deno.exit(1);
    }
  }
  console.log(formatTable(rows));
  for (const s of skipped) console.log(s);
  if (args.json !== undefined) {
    await writeFileAtomic(args.json, JSON.stringify({ args, rows }, null, 2) + "\n");
  }
}
