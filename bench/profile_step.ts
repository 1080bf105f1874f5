// Where one training step of the default model spends its time, kernel by kernel
// (`tf.profile` kernel time; matrix products split by shape, with GFLOP/s).
//
//   deno run -A bench/profile_step.ts [--backend wasm] [--method baseline] [--batch 32] [--seq 32]
//
// The same model and batch as `deno task bench` (bench/_step_setup.ts): 3 warm-up steps, 5 timed
// steps (printed), then one profiled step. tf.profile adds its own overhead, so the kernel total
// runs a little above the step time; read the split, not the sum.
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import { disposeUseLite, loadUseLite } from "../lib/io/use_lite.ts";
import { foldIn, randomKey } from "../lib/random.ts";
import { trainStep } from "../lib/train/train_step.ts";
import { benchBatch, benchTrainer } from "./_step_setup.ts";
import { argsOrExit } from "./_cli.ts";

interface Args {
  backend: string;
  method: string;
  batch: number;
  seq: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { backend: "wasm", method: "baseline", batch: 32, seq: 32 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new TypeError(`Cannot profile: ${flag} needs a value`);
    if (flag === "--backend") args.backend = parseBackendName(value);
    else if (flag === "--method") args.method = value;
    else if (flag === "--batch" || flag === "--seq") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`Cannot profile: ${flag} must be an integer >= 1, received ${value}`);
      }
      args[flag === "--batch" ? "batch" : "seq"] = n;
    } else throw new TypeError(`Cannot profile: unknown flag ${flag}`);
  }
  return args;
}

const PRODUCTS = new Set(["LoradropLinearMatMul", "LoradropWasmMatMulTransposedB", "BatchMatMul"]);

const USAGE = {
  command: "deno run -A bench/profile_step.ts",
  usage:
    `Usage: deno run -A bench/profile_step.ts [--backend wasm] [--method baseline] [--batch 32] [--seq 32]
  Where one training step's time goes, kernel by kernel.`,
};

if (import.meta.main) {
  const args = argsOrExit(parseArgs, USAGE);
  await initBackend({ backend: parseBackendName(args.backend) });
  const base = await loadUseLite();
  const batch = benchBatch(base, args.batch, args.seq);
  const { model, opt, plan, dispose } = benchTrainer(base, args.method, 0.1);
  const step = (i: number) =>
    trainStep(model, opt, batch, plan, foldIn(randomKey(7), i), { lr: 1e-4 });
  for (let i = 0; i < 3; i++) step(i);
  const times: number[] = [];
  for (let i = 3; i < 8; i++) {
    const t0 = performance.now();
    step(i);
    times.push(performance.now() - t0);
  }
  const info = await tf.profile(() => {
    step(99);
  });
  const groups = new Map<string, { ms: number; calls: number; flop: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    const shapes = k.inputShapes as number[][];
    const is2d = PRODUCTS.has(k.name) && shapes.length === 2 && shapes.every((s) => s.length === 2);
    const key = is2d ? `${k.name} ${JSON.stringify(shapes)}` : k.name;
    // 2-D products: (M, K)·(K, N), or (M, K)·(N, K)ᵀ for the transposed-weight kernel.
    const flop = is2d
      ? 2 * shapes[0]![0]! * shapes[0]![1]! * shapes[1]![shapes[1]![0] === shapes[0]![1] ? 1 : 0]!
      : 0;
    const g = groups.get(key) ?? { ms: 0, calls: 0, flop: 0 };
    g.ms += ms;
    g.calls++;
    g.flop += flop;
    groups.set(key, g);
    total += ms;
  }
  console.log(
    `${args.backend} ${args.method}, batch ${args.batch}×${args.seq}: step ms ${
      times.map((t) => t.toFixed(0)).join(" ")
    }; profiled step: ${info.kernels.length} kernels, ${total.toFixed(0)} ms kernel time`,
  );
  console.log("| kernel (shapes) | calls | ms | GFLOP/s |\n|---|---|---|---|");
  for (const [key, g] of [...groups].sort((p, q) => q[1].ms - p[1].ms).slice(0, 30)) {
    const rate = g.flop > 0 && g.ms > 0 ? (g.flop / g.ms / 1e6).toFixed(1) : "–";
    console.log(`| ${key} | ${g.calls} | ${g.ms.toFixed(1)} | ${rate} |`);
  }
  dispose();
  batch.dispose();
  disposeUseLite(base);
}
