import * as tf from "@tensorflow/tfjs-core";
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend.ts";
import { appendJsonLine, readJsonLines, writeFileAtomic } from "../lib/train/atomic_file.ts";
import { loadCheckpoint, restoreVariables, saveCheckpoint } from "../lib/train/checkpoint.ts";

Deno.test("checkpoints keep only the latest tensor file and refuse tampered or foreign ones", async () => {
  await initBackend({ backend: "cpu" });
  const dir = await Deno.makeTempDir();
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  await saveCheckpoint(dir, "run-1", 2, { "param/a": a }, { note: "first" });
  await saveCheckpoint(dir, "run-1", 4, { "param/a": tf.tidy(() => tf.mul(a, 2)) }, {
    note: "second",
  });
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assertEquals(files, ["checkpoint-4.safetensors", "checkpoint.json"]);
  const back = (await loadCheckpoint(dir, "run-1"))!;
  assertEquals(back.sidecar.step, 4);
  assertEquals(back.sidecar.state, { note: "second" });
  assertEquals([...back.tensors.get("param/a")!.data], [2, 4, 6, 8]);

  const v = { a: tf.variable(tf.zeros([2, 2])) };
  restoreVariables(back, "param/", v);
  assertEquals([...v.a.dataSync()], [2, 4, 6, 8]);
  assertThrows(() => restoreVariables(back, "param/", {}), TypeError, 'unknown tensor "param/a"');
  const b = tf.variable(tf.zeros([1]));
  assertThrows(
    () => restoreVariables(back, "param/", { ...v, b }),
    TypeError,
    'missing tensor "param/b"',
  );
  const wrong = { a: tf.variable(tf.zeros([4])) };
  assertThrows(() => restoreVariables(back, "param/", wrong), RangeError, "expected [4]");

  await assertRejects(() => loadCheckpoint(dir, "run-2"), Error, "belongs to run run-1");
  const bytes = await Deno.readFile(`${dir}/checkpoint-4.safetensors`);
  bytes[bytes.length - 1] = bytes.at(-1)! ^ 0xff;
  await Deno.writeFile(`${dir}/checkpoint-4.safetensors`, bytes);
  await assertRejects(() => loadCheckpoint(dir, "run-1"), Error, "SHA-256");
  await assertRejects(
    () => saveCheckpoint(dir, "run-1", 5, { i: tf.tensor1d([1], "int32") }, null),
    TypeError,
    "must be float32",
  );
  tf.dispose([a, v.a, b, wrong.a]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("JSONL appends survive a torn last line; atomic writes leave no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/results.jsonl`;
  await appendJsonLine(path, { run: 1 });
  // A crash in the middle of a write leaves a line without its newline.
  await Deno.writeTextFile(path, '{"run": 2, "cut', { append: true });
  const torn: string[] = [];
  const onTornLine = (_: string, line: number, bytes: number) => torn.push(`${line}:${bytes}`);
  assertEquals(await readJsonLines(path, { onTornLine }), [{ run: 1 }]);
  assertEquals(torn, ["2:15"]);
  // The next append cuts the torn line off instead of ending it: every later read still works.
  await appendJsonLine(path, { run: 3 }, { onTornLine });
  assertEquals(torn, ["2:15", "2:15"]);
  assertEquals(await Deno.readTextFile(path), '{"run":1}\n{"run":3}\n');
  await appendJsonLine(path, { run: 4 }, { onTornLine });
  assertEquals(await readJsonLines(path, { onTornLine }), [{ run: 1 }, { run: 3 }, { run: 4 }]);
  assertEquals(torn.length, 2);
  // A whole record that only lacks its newline (an edited file) is kept and ended.
  await Deno.writeTextFile(path, '{"run": 5}', { append: true });
  await appendJsonLine(path, { run: 6 }, { onTornLine });
  assertEquals((await readJsonLines(path)).slice(-2), [{ run: 5 }, { run: 6 }]);
  assertEquals(torn.length, 2);
  // A torn line longer than one read-back chunk, after a line as long.
  await Deno.writeTextFile(path, JSON.stringify({ pad: "x".repeat(70_000) }) + "\n");
  await Deno.writeTextFile(path, '{"tail": "' + "y".repeat(140_000), { append: true });
  await appendJsonLine(path, { run: 7 }, { onTornLine });
  assertEquals(torn.at(-1), "2:140010");
  assertEquals((await readJsonLines(path)).length, 2);
  // A malformed line in the middle is still an error naming it.
  await Deno.writeTextFile(path, '{"run": 1}\n{"ru\n{"run": 3}\n');
  await assertRejects(() => readJsonLines(path), SyntaxError, "line 2");
  await assertRejects(() => appendJsonLine(path, undefined), TypeError);

  await writeFileAtomic(`${dir}/x.json`, "1");
  await writeFileAtomic(`${dir}/x.json`, "2");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["results.jsonl", "x.json"]);
  assertEquals(await Deno.readTextFile(`${dir}/x.json`), "2");
  await Deno.remove(dir, { recursive: true });
});
