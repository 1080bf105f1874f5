// The result store under hostile or unlucky conditions: forged shard records, corrupt stored
// runs, interrupted report writes, two repro processes on one folder, a parent killed with -9.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import type { RunSpec } from "../lib/repro/plan/run_spec.ts";
import { acquireRunLock, RunLockedError, withRunLock } from "../lib/repro/run/run_lock.ts";
import { planGrid } from "../lib/repro/run/scheduler.ts";
import { mergeStoredRuns, runSpecHash, type StoredRun } from "../lib/repro/run/store.ts";
import { writeReproReport } from "../lib/repro/report/write_report.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "--allow-ffi",
];
const smokeSpec = (): RunSpec => reproExperiments("smoke")[0]!.runs[0]!;

async function storedRun(spec: RunSpec, backend = "wasm"): Promise<StoredRun> {
  const record = { format: "loradrop-run" } as unknown as StoredRun["record"];
  return { spec, specHash: await runSpecHash(spec, backend), backend, record };
}

async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await filesBelow(path));
    else out.push(path);
  }
  return out.sort();
}

Deno.test("merge refuses a shard run whose hash is not its spec's, and writes nothing outside --out", async () => {
  const root = await Deno.makeTempDir();
  try {
    const shard = `${root}/shard`, out = `${root}/a/b/out`;
    await Deno.mkdir(`${shard}/runs`, { recursive: true });
    await Deno.mkdir(out, { recursive: true });
    const good = await storedRun(smokeSpec());
    await Deno.writeTextFile(`${shard}/runs/${good.specHash}.json`, JSON.stringify(good));
    const evil = { ...good, specHash: "../../../pwned" };
    // Named like a run, so that only the record's own hash is wrong.
    const evilPath = `${shard}/runs/${"f".repeat(64)}.json`;
    await Deno.writeTextFile(evilPath, JSON.stringify(evil));
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, `${ROOT}cli/repro.ts`, "merge", "--preset", "smoke"]
        .concat(["--out", out, shard]),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 1, new TextDecoder().decode(stdout) + err);
    assertStringIncludes(err, `Cannot merge shard ${shard}: ${evilPath} is not a valid stored run`);
    assertStringIncludes(err, 'its specHash "../../../pwned" is not 64 lowercase hex digits');
    assert(!err.includes("    at "), `no stack trace: ${err}`);
    // Nothing was copied (not even the valid run: the shard is refused as a whole).
    assertEquals((await filesBelow(root)).filter((p) => !p.startsWith(shard)), []);

    // A hex hash that is not the spec's own is refused too; a valid shard merges.
    await Deno.remove(evilPath);
    const other = await storedRun({ ...smokeSpec(), seed: 99 });
    await Deno.writeTextFile(
      `${shard}/runs/${other.specHash}.json`,
      JSON.stringify({ ...other, specHash: good.specHash }),
    );
    await assertRejects(
      () => mergeStoredRuns(out, [shard]),
      Error,
      "is not the hash of its spec and backend",
    );
    await Deno.writeTextFile(`${shard}/runs/${other.specHash}.json`, JSON.stringify(other));
    assertEquals(await mergeStoredRuns(out, [shard]), 2);
    assertEquals(await mergeStoredRuns(out, [shard]), 0);
    await assertRejects(() => mergeStoredRuns(out, [`${root}/missing`]), Error, "missing path");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a corrupt stored run is not counted as cached: it is planned again, with the reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const specs = [smokeSpec(), { ...smokeSpec(), seed: 1 }, { ...smokeSpec(), seed: 2 }];
    const [a, b, c] = await Promise.all(specs.map((s) => storedRun(s)));
    await Deno.mkdir(`${dir}/runs`);
    await Deno.writeTextFile(`${dir}/runs/${a!.specHash}.json`, JSON.stringify(a));
    // A torn file, and a whole file holding another run than its name says.
    await Deno.writeTextFile(`${dir}/runs/${b!.specHash}.json`, JSON.stringify(b).slice(0, 40));
    await Deno.writeTextFile(`${dir}/runs/${c!.specHash}.json`, JSON.stringify(a));
    const plan = await planGrid(specs, "wasm", dir);
    assertEquals(plan.done.map((r) => r.hash), [a!.specHash]);
    assertEquals(plan.todo.map((r) => r.hash).sort(), [b!.specHash, c!.specHash].sort());
    const reasons = Object.fromEntries(plan.corrupt.map((r) => [r.hash, r.reason]));
    assertStringIncludes(reasons[b!.specHash]!, "it is not JSON");
    assertStringIncludes(reasons[c!.specHash]!, `holds run ${a!.specHash}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report and tables are replaced whole: a reader of the old file never sees a partial new one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await writeReproReport(dir, "smoke");
    // A second name for the same file: an in-place rewrite would change it too.
    for (const path of first) await Deno.link(path, `${path}.before`);
    const before = await Promise.all(first.map((p) => Deno.readTextFile(p)));
    await writeReproReport(dir, "quick");
    assertStringIncludes(await Deno.readTextFile(`${dir}/report.html`), "(quick)");
    assertEquals(await Promise.all(first.map((p) => Deno.readTextFile(`${p}.before`))), before);
    assertStringIncludes(before.at(-1)!, "(smoke)");
    const names = (await filesBelow(dir)).map((p) => p.slice(dir.length + 1));
    assertEquals(names.filter((n) => n.includes(".tmp-")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run lock names its holder; the lock of a process killed with -9 is taken over, and said so", async () => {
  const dir = await Deno.makeTempDir();
  const lockUrl = new URL("../lib/repro/run/run_lock.ts", import.meta.url).href;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { acquireRunLock } from "${lockUrl}";
       await acquireRunLock(${JSON.stringify(dir)}, "abc");
       console.log("held");
       setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    assertEquals(first.value?.trim(), "held");
    const error = await assertRejects(() => acquireRunLock(dir, "abc"), RunLockedError);
    assertStringIncludes(
      error.message,
      `it is being run by pid ${child.pid} on ${Deno.hostname()}`,
    );
    assertEquals(error.holder?.pid, child.pid);
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    const notices: string[] = [];
    assertEquals(
      await withRunLock(dir, "abc", () => Promise.resolve(1), (m) => notices.push(m)),
      1,
    );
    assertEquals(notices.length, 1);
    assertStringIncludes(notices[0]!, `left by pid ${child.pid} on ${Deno.hostname()} since`);
    assertStringIncludes(notices[0]!, "which has ended");
    // Released normally, a lock is not reported as taken over.
    await withRunLock(dir, "abc", () => Promise.resolve(2), (m) => notices.push(m));
    assertEquals(notices.length, 1);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already ended
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

const tinySpec = (seed: number, steps = 2): RunSpec => ({
  ...smokeSpec(),
  steps,
  evalEvery: steps,
  batchSize: 4,
  maxLength: 16,
  seed,
});

function harness(dir: string, jobs: number, specs: RunSpec[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      `${ROOT}tests/_grid_harness.ts`,
      JSON.stringify({ dir, jobs, specs }),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test({
  name:
    "two repro processes on one folder (one over workers) train every run once: no duplicate in any results.jsonl",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const specs = [0, 1, 2, 3].map((s) => tinySpec(s));
      // One in-process, one over two workers (with the workers' narrowed permissions).
      const outputs = await Promise.all([harness(dir, 1, specs), harness(dir, 2, specs)]
        .map((c) => c.output()));
      for (const o of outputs) {
        const text = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
        assertEquals(o.code, 0, text);
        assertStringIncludes(text, '"failed":[]', text);
      }
      const hashes = await Promise.all(specs.map((s) => runSpecHash(s, "wasm")));
      assertEquals(
        (await filesBelow(`${dir}/runs`)).map((p) => p.split("/").at(-1)).sort(),
        hashes.map((h) => `${h}.json`).sort(),
      );
      for (const h of hashes) {
        const lines = (await Deno.readTextFile(`${dir}/train/${h.slice(0, 16)}/results.jsonl`))
          .trim().split("\n");
        assertEquals(lines.length, 1, `run ${h} was trained ${lines.length} times`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function lockHolders(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    for await (const e of Deno.readDir(`${dir}/locks`)) {
      const text = await Deno.readTextFile(`${dir}/locks/${e.name}`).catch(() => "");
      try {
        out.set(e.name.replace(/\.lock$/, ""), (JSON.parse(text) as { pid: number }).pid);
      } catch {
        // empty: not held, or being written
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

Deno.test({
  name: "kill -9 of the parent ends its workers mid-run (their run locks come free, taken over)",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const parent = harness(dir, 2, [tinySpec(0, 100_000), tinySpec(1, 100_000)]);
    let workers = new Map<string, number>();
    try {
      workers = await until("both workers to hold a run", 180, async () => {
        const held = await lockHolders(dir);
        return held.size === 2 ? held : undefined;
      });
      assert(![...workers.values()].includes(parent.pid));
      parent.kill("SIGKILL");
      await parent.status;
      for (const [hash, pid] of workers) {
        const lock = await until(`worker ${pid} to end`, 30, async () => {
          try {
            return await acquireRunLock(dir, hash);
          } catch (error) {
            if (error instanceof RunLockedError) return undefined;
            throw error;
          }
        });
        assertEquals(lock.tookOver?.pid, pid, "the worker died holding its run");
        await lock.release();
      }
    } finally {
      for (const pid of workers.values()) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // already ended
        }
      }
      try {
        parent.kill("SIGKILL");
      } catch {
        // already ended
      }
      await parent.status;
      await parent.stdout.cancel();
      await parent.stderr.cancel();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
