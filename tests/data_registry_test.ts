import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import {
  BUILTIN_TASK_NAMES,
  type BuiltinTaskName,
  loadTask,
  LOW_DATA_SIZES,
  TASK_INFO,
} from "../lib/data/registry.ts";
import type { Example } from "../lib/data/example.ts";

const key = (e: Example) => `${e.text}\u0000${e.textPair ?? ""}`;

for (const name of BUILTIN_TASK_NAMES) {
  Deno.test(`loadTask("${name}") returns a card whose sizes, labels and metrics fit its splits`, async () => {
    const task = await loadTask(name);
    const { card } = task;
    assertEquals(card.name, name);
    assertEquals(card, { ...TASK_INFO[name], ...card });
    assertEquals(card.sizes.train, task.train.length);
    assertEquals(card.sizes.dev, task.dev.length);
    assertEquals(card.sizes.test, task.test?.length);
    assert(card.metrics.length > 0 && card.licence.length > 0 && card.glue.length > 0);
    assert(card.source.origin.startsWith("npm:") && card.source.paths.length > 0);
    const splits = [task.train, task.dev, task.test ?? []];
    for (const split of splits) {
      for (const e of split) {
        assert(e.text.trim().length > 0, `empty text in ${name}`);
        if (card.kind === "classification") {
          assert(Number.isInteger(e.label) && e.label >= 0 && e.label < card.numLabels);
        } else assert(Number.isFinite(e.label));
      }
    }
    if (card.kind === "classification") {
      assertEquals(card.labels.length, card.numLabels);
      for (const split of splits.filter((s) => s.length > 0)) {
        assertEquals(
          new Set(split.map((e) => e.label)).size,
          card.numLabels,
          `${name}: a class is missing`,
        );
      }
    } else {
      assertEquals(card.numLabels, 1);
      const s = card.standardisation!;
      const mean = task.train.reduce((a, e) => a + e.label, 0) / task.train.length;
      const variance = task.train.reduce((a, e) => a + (e.label - mean) ** 2, 0) /
        task.train.length;
      assertAlmostEquals(mean, 0, 1e-9);
      assertAlmostEquals(variance, 1, 1e-9);
      for (const e of [...task.train, ...task.dev]) {
        const year = e.label * s.std + s.mean;
        assertAlmostEquals(year, Math.round(year), 1e-6);
        assert(year >= 1790 && year <= 2021, `year ${year}`);
      }
    }
    if (name.endsWith("-low")) {
      assertEquals(card.sizes, LOW_DATA_SIZES);
    } else if (name !== "wic") {
      // Duplicates were dropped before splitting, so no text is in two splits.
      const train = new Set(task.train.map(key));
      assert(task.dev.every((e) => !train.has(key(e))));
      assert((task.test ?? []).every((e) => !train.has(key(e))));
    }
  });
}

Deno.test("loadTask: sentiment keeps all 3 × 1,000 labelled records except duplicates", async () => {
  const t = await loadTask("sentiment");
  const total = t.train.length + t.dev.length + t.test!.length;
  assert(total > 2950 && total <= 3000, `total ${total}`);
  const all = [...t.train, ...t.dev, ...t.test!];
  assertEquals(new Set(all.map(key)).size, total);
});

Deno.test("loadTask: wic is balanced in every split and pairs two different sentences", async () => {
  const t = await loadTask("wic");
  for (const split of [t.train, t.dev, t.test!]) {
    assertEquals(split.filter((e) => e.label === 1).length * 2, split.length);
    assert(split.every((e) => e.textPair !== undefined && e.textPair !== e.text));
  }
  assert(t.train.length > 10_000, `${t.train.length} training pairs`);
});

Deno.test("loadTask: spam bodies carry no headers or HTML tags", async () => {
  const t = await loadTask("spam");
  const all = [...t.train, ...t.dev, ...t.test!];
  assert(all.length > 5000);
  const withHeaders = all.filter((e) => /^(Return-Path|Received|Delivered-To):/m.test(e.text));
  const withTags = all.filter((e) => /<\/?(html|body|table|font|div)\b/i.test(e.text));
  assert(withHeaders.length === 0, withHeaders[0]?.text.slice(0, 200));
  assert(withTags.length <= all.length * 0.005, `${withTags.length} bodies with tags`);
  const spamShare = all.filter((e) => e.label === 1).length / all.length;
  assert(spamShare > 0.25 && spamShare < 0.35, `spam share ${spamShare}`);
});

Deno.test("loadTask: sotu-year sentences have at least 5 words", async () => {
  const t = await loadTask("sotu-year");
  assert(t.train.length > 40_000);
  assert(t.dev.every((e) => e.text.split(" ").length >= 5));
});

Deno.test("loadTask: low-data variants sample the full task's train and dev splits", async () => {
  for (const base of ["sentiment", "wic", "spam"] as const) {
    const full = await loadTask(base);
    const low = await loadTask(`${base}-low` as BuiltinTaskName);
    const train = new Set(full.train.map(key));
    const dev = new Set(full.dev.map(key));
    assert(low.train.every((e) => train.has(key(e))), base);
    assert(low.dev.every((e) => dev.has(key(e))), base);
    assertEquals(low.test, undefined);
  }
});

Deno.test("loadTask caches: a second load returns the same task object", async () => {
  assert((await loadTask("sentiment")) === (await loadTask("sentiment")));
});

Deno.test("loadTask rejects unknown names and says how to fetch a missing package", async () => {
  await assertRejects(
    () => loadTask("sst2" as BuiltinTaskName),
    RangeError,
    'unknown name "sst2"',
  );
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => loadTask("sentiment", { nodeModulesDir: dir }),
      Error,
      '"sentiment": "npm:sentiment@5.0.2" to the imports of deno.json',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
