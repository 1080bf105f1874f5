// The matmul benchmark of the wasm backend's thread counts (lib/backend_wasm_threads.ts):
// `(M×K)·(K×N)` float32 products, one subprocess per thread count and round (the count is fixed
// per process), rounds interleaved so that other load on the machine hits every count alike.
// Printed per thread count: the median over rounds of each process's median ms per product,
// GFLOP/s, the speed-up over the first count, and the process CPU time per wall time (≈ the
// cores really used; below the thread count when the machine is busy). The load average is
// printed before and after: compare counts only on an idle machine.
//
//   deno run -A bench/wasm_threads_matmul.ts [--threads 1,2] [--rounds 3] [--iters 50]
//                                            [--m 1024] [--k 512] [--n 512]
import * as tf from "@tensorflow/tfjs-core";
import process from "node:process";
import { initBackend } from "../lib/backend.ts";
import { parseWasmThreads } from "../lib/backend_wasm_threads.ts";

interface Args {
  threads: number[];
  rounds: number;
  iters: number;
  m: number;
  k: number;
  n: number;
  child: boolean;
}

/** One subprocess's measurement. */
interface ChildResult {
  threads: number;
  medianMs: number;
  cpuPerWall: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    threads: [1, 2],
    rounds: 3,
    iters: 50,
    m: 1024,
    k: 512,
    n: 512,
    child: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--child") {
      args.child = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) {
      throw new TypeError(`Cannot parse ${flag}: expected a value, received none`);
    }
    if (flag === "--threads") args.threads = value.split(",").map((s) => parseWasmThreads(s));
    else if (["--rounds", "--iters", "--m", "--k", "--n"].includes(flag)) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(
          `Cannot parse ${flag}: expected a positive integer, received "${value}"`,
        );
      }
      args[flag.slice(2) as "rounds" | "iters" | "m" | "k" | "n"] = n;
    } else throw new TypeError(`Cannot parse arguments: expected a known flag, received "${flag}"`);
  }
  return args;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Fixed inputs of size O(1), no randomness: sin over the flat index. */
function wave(rows: number, cols: number, phase: number): tf.Tensor2D {
  const v = new Float32Array(rows * cols);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(0.37 * i + phase);
  return tf.tensor2d(v, [rows, cols]);
}

async function runChild(args: Args): Promise<void> {
  const threads = args.threads[0]!;
  await initBackend({ backend: "wasm", threads });
  const a = wave(args.m, args.k, 0); // (M, K)
  const b = wave(args.k, args.n, 1); // (K, N)
  for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose(); // warm-up (XNNPACK packs b once)
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < args.iters; i++) {
    const t0 = performance.now();
    tf.matMul(a, b).dispose(); // the wasm backend computes synchronously
    times.push(performance.now() - t0);
  }
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  tf.dispose([a, b]);
  const result: ChildResult = {
    threads,
    medianMs: median(times),
    cpuPerWall: (cpu.user + cpu.system) / 1000 / wall,
  };
  console.log(JSON.stringify(result));
}

async function runParent(args: Args): Promise<void> {
  const self = new URL(import.meta.url).pathname;
  const flops = 2 * args.m * args.k * args.n;
  const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  console.log(
    `wasm matmul (${args.m}×${args.k})·(${args.k}×${args.n}), ${args.iters} products per process, ` +
      `${args.rounds} rounds; load average before: ${load()}`,
  );
  const results = new Map<number, ChildResult[]>(args.threads.map((t) => [t, []]));
  for (let round = 0; round < args.rounds; round++) {
    for (const threads of args.threads) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          self,
          "--child",
          "--threads",
          String(threads),
          ...["--iters", "--m", "--k", "--n"].flatMap((f) => [f, String(args[f.slice(2) as "m"])]),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) {
        throw new Error(
          `Cannot measure ${threads} threads: expected the subprocess to succeed, received:\n` +
            new TextDecoder().decode(out.stderr),
        );
      }
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      results.get(threads)!.push(JSON.parse(lines[lines.length - 1]!) as ChildResult);
    }
  }
  console.log("| threads | ms/product (median) | GFLOP/s | speed-up | CPU/wall |");
  console.log("|---|---|---|---|---|");
  const first = median(results.get(args.threads[0]!)!.map((r) => r.medianMs));
  for (const threads of args.threads) {
    const rs = results.get(threads)!;
    const ms = median(rs.map((r) => r.medianMs));
    const cpu = median(rs.map((r) => r.cpuPerWall));
    console.log(
      `| ${threads} | ${ms.toFixed(2)} | ${(flops / ms / 1e6).toFixed(1)} | ${
        (first / ms).toFixed(2)
      }× | ${cpu.toFixed(2)} |`,
    );
  }
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) {
  const args = parseArgs(Deno.args);
  if (args.child) await runChild(args);
  else await runParent(args);
}
