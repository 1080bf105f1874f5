// A `repro`-like parent for process-level tests: plans the given specs on one results folder and
// runs them with `runGrid` (in this process for jobs 1, else over cli/repro_worker.ts workers),
// then prints the outcome as one JSON line. Argument: JSON {dir, jobs, specs}.
import { initBackend } from "../lib/backend.ts";
import { executeRun, loadRunResources, type RunResources } from "../lib/repro/run/execute.ts";
import type { RunSpec } from "../lib/repro/plan/run_spec.ts";
import { planGrid, runGrid } from "../lib/repro/run/scheduler.ts";

const { dir, jobs, specs } = JSON.parse(Deno.args[0]!) as {
  dir: string;
  jobs: number;
  specs: RunSpec[];
};
const info = await initBackend({ backend: "wasm" });
const { todo, done } = await planGrid(specs, info.active, dir);
console.log(JSON.stringify({ planned: todo.length, done: done.length }));
let resources: RunResources | undefined;
const outcome = await runGrid(todo, {
  dir,
  backend: info.active,
  jobs,
  workerScript: new URL("../cli/repro_worker.ts", import.meta.url),
  progress: false,
  executeInProcess: async (run) => {
    resources ??= await loadRunResources("use-lite");
    await executeRun(run.spec, resources, { dir, backend: info.active, progress: false });
  },
});
console.log(JSON.stringify({
  finished: outcome.finished,
  failed: outcome.failed.map((f) => f.error.split("\n")[0]),
  busy: outcome.busy.map((b) => b.holder),
}));
