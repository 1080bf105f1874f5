import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { loadCustomData, loadCustomTask, parseCustomData } from "../lib/data/custom.ts";

/** Runs `fn` in a fresh temporary folder, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseCustomData reads quoted CSV fields, embedded newlines, a BOM and named labels", () => {
  const csv =
    '\ufeffid,premise,hypothesis,gold\n1,"A, B","He said ""hi""",yes\n2,"two\nlines",x,no\n';
  assertEquals(
    parseCustomData(csv, {
      format: "csv",
      textField: "premise",
      textPairField: "hypothesis",
      labelField: "gold",
      labels: ["no", "yes"],
    }),
    [
      { text: "A, B", textPair: 'He said "hi"', label: 1 },
      { text: "two\nlines", textPair: "x", label: 0 },
    ],
  );
});

Deno.test("parseCustomData reads JSONL with numeric or string labels and skips blank lines", () => {
  const jsonl = '{"text": "a", "label": 1}\n\n{"text": "b", "label": "0"}\r\n';
  assertEquals(parseCustomData(jsonl, { format: "jsonl" }), [
    { text: "a", label: 1 },
    { text: "b", label: 0 },
  ]);
  assertEquals(
    parseCustomData('{"text": "a", "label": "2.5"}', { format: "jsonl", kind: "regression" }),
    [{ text: "a", label: 2.5 }],
  );
});

Deno.test("parseCustomData names the line and the reason of a bad row", () => {
  const csv = (rows: string) => `text,label\nfine,1\n${rows}`;
  const cases: [string, "csv" | "jsonl", string][] = [
    [csv(",0\n"), "csv", 'field "text" is empty (line 3)'],
    [
      csv("x,-1\n"),
      "csv",
      'label must be a non-negative integer class index, received "-1" (line 3)',
    ],
    [csv("x,1.5\n"), "csv", 'received "1.5"'],
    [csv("x,\n"), "csv", "the label is missing (line 3)"],
    [csv("x,1,extra\n"), "csv", "Invalid Record Length"],
    [csv('"x,1\n'), "csv", "Quote Not Closed"],
    ['{"text": "a", "label": 0}\n{"text": "b"\n', "jsonl", "invalid JSON"],
    ['{"text": "a", "label": 0}\n[1, 2]\n', "jsonl", "expected a JSON object"],
    [
      '{"text": "a", "label": 0}\n\n{"txt": "b", "label": 1}\n',
      "jsonl",
      'no field "text" (fields: txt, label) (line 3)',
    ],
    ['{"text": 5, "label": 0}\n', "jsonl", 'field "text" must be a string, received 5 (line 1)'],
    ['{"text": "a", "label": true}\n', "jsonl", "label must be a non-negative integer"],
  ];
  for (const [content, format, message] of cases) {
    assertThrows(() => parseCustomData(content, { format }), Error, message);
  }
  assertThrows(
    () =>
      parseCustomData('{"text": "a", "label": "maybe"}', {
        format: "jsonl",
        labels: ["no", "yes"],
      }),
    Error,
    'label must be one of no, yes or an index below 2, received "maybe"',
  );
  assertThrows(
    () => parseCustomData('{"text": "a", "label": 2}', { format: "jsonl", labels: ["no", "yes"] }),
    Error,
    "index below 2",
  );
  assertThrows(
    () => parseCustomData('{"text": "a", "label": "x"}', { format: "jsonl", kind: "regression" }),
    Error,
    'label must be a finite decimal number, received "x"',
  );
  assertThrows(
    () => parseCustomData("", { format: "xml" as "csv" }),
    RangeError,
    'format must be "csv" or "jsonl"',
  );
});

Deno.test("loadCustomData picks the format and delimiter from the extension", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.tsv"), "text\tlabel\nhello, world\t1\n");
    assertEquals(await loadCustomData(join(dir, "a.tsv")), [{ text: "hello, world", label: 1 }]);
    await Deno.writeTextFile(
      join(dir, "a.ndjson"),
      '{"text": "x", "label": 0}\n{"text": "", "label": 0}\n',
    );
    await assertRejects(
      () => loadCustomData(join(dir, "a.ndjson")),
      Error,
      `field "text" is empty (${join(dir, "a.ndjson")} line 2)`,
    );
    await assertRejects(() => loadCustomData(join(dir, "a.txt")), RangeError, "from its extension");
    await assertRejects(() => loadCustomData(join(dir, "none.csv")), Error, "cannot read");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCustomTask builds a card with sizes, classes and default metrics", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "train.jsonl"), '{"t": "a", "y": 2}\n{"t": "b", "y": 0}\n');
    await Deno.writeTextFile(join(dir, "dev.jsonl"), '{"t": "c", "y": 1}\n');
    const task = await loadCustomTask({
      name: "three-way",
      train: join(dir, "train.jsonl"),
      dev: join(dir, "dev.jsonl"),
      textField: "t",
      labelField: "y",
    });
    assertEquals(task.card.name, "three-way");
    assertEquals(task.card.numLabels, 3);
    assertEquals(task.card.labels, ["0", "1", "2"]);
    assertEquals(task.card.metrics, ["accuracy"]);
    assertEquals(task.card.sizes, { train: 2, dev: 1 });
    const reg = await loadCustomTask({
      train: join(dir, "train.jsonl"),
      dev: join(dir, "dev.jsonl"),
      textField: "t",
      labelField: "y",
      kind: "regression",
    });
    assertEquals([reg.card.numLabels, reg.card.metrics], [1, ["pearson", "spearman"]]);
    await Deno.writeTextFile(join(dir, "empty.jsonl"), "\n");
    await assertRejects(
      () =>
        loadCustomTask({
          train: join(dir, "train.jsonl"),
          dev: join(dir, "empty.jsonl"),
          textField: "t",
          labelField: "y",
        }),
      RangeError,
      "received 2 and 0",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCustomData rejects labels that Number() would silently misread", () => {
  const regression = (label: string) =>
    parseCustomData(
      `text,label\nfine,1\nx,${label}\n`,
      { format: "csv", kind: "regression" },
      "t.csv",
    );
  assertEquals(regression(" 2.5e-1 "), [{ text: "fine", label: 1 }, { text: "x", label: 0.25 }]);
  // Number(" ") is 0, Number("0x10") is 16, Number("0b1") is 1
  for (const bad of [" ", "0x10", "0b1", "Infinity"]) {
    assertThrows(
      () => regression(bad),
      Error,
      `label must be a finite decimal number, received ${JSON.stringify(bad)} (t.csv line 3)`,
    );
  }
  assertThrows(
    () => parseCustomData("text,label\nx,0x10\n", { format: "csv" }, "t.csv"),
    Error,
    'label must be a non-negative integer class index, received "0x10" (t.csv line 2)',
  );
});

Deno.test("parseCustomData bounds class indices instead of sizing a head by them", () => {
  assertThrows(
    () => parseCustomData('{"text": "a", "label": 1e9}\n', { format: "jsonl" }, "t.jsonl"),
    Error,
    "label must be a class index of at most 9999, received 1000000000",
  );
  assertEquals(parseCustomData('{"text": "a", "label": 9999}\n', { format: "jsonl" }), [
    { text: "a", label: 9999 },
  ]);
});

Deno.test("parseCustomData rejects a CSV column or a JSONL key named twice", () => {
  assertThrows(
    () => parseCustomData("\ntext,label,text\na,1,b\n", { format: "csv" }, "t.csv"),
    Error,
    'column name "text" occurs twice (t.csv line 2)',
  );
  const jsonl =
    '{"text": "a", "label": 0}\n{"text": "b", "meta": {"label": 1, "x": [{"label": 2}]}, ' +
    '"k\\"ey": "\\"label\\"", "label": 1}\n{"text": "c", "label": 0, "label": 1}\n';
  assertEquals(parseCustomData(jsonl.split("\n").slice(0, 2).join("\n"), { format: "jsonl" }), [
    { text: "a", label: 0 },
    { text: "b", label: 1 },
  ]);
  assertThrows(
    () => parseCustomData(jsonl, { format: "jsonl" }, "t.jsonl"),
    Error,
    'key "label" occurs twice in one object (t.jsonl line 3)',
  );
});

Deno.test("loadCustomData rejects invalid UTF-8 with its line unless allowed", () =>
  inTempDir(async (dir) => {
    const path = join(dir, "bad.csv");
    const head = new TextEncoder().encode("text,label\ncafé,1\nna");
    await Deno.writeFile(path, new Uint8Array([...head, 0xff, 0x65, 0x2c, 0x30, 0x0a]));
    await assertRejects(
      () => loadCustomData(path),
      TypeError,
      `received bytes 0x0a 0x6e 0x61 0xff at offset ${head.length} (${path} line 3)`,
    );
    assertEquals(await loadCustomData(path, { allowInvalidUtf8: true }), [
      { text: "café", label: 1 },
      { text: "na\ufffde", label: 0 },
    ]);
  }));

Deno.test("loadCustomTask sizes the head by the training labels and rejects dev labels beyond", () =>
  inTempDir(async (dir) => {
    const train = join(dir, "train.csv");
    const dev = join(dir, "dev.csv");
    await Deno.writeTextFile(train, "text,label\na,0\nb,1\n");
    await Deno.writeTextFile(dev, "text,label\nc,1\nd,5\n");
    await assertRejects(
      () => loadCustomTask({ train, dev }),
      RangeError,
      `dev label 5 is not a class of the training data, whose labels are 0 to 1 (${dev} line 3)`,
    );
  }));

Deno.test("loadCustomTask reads 130,000 rows (no spread of the labels over the call stack)", () =>
  inTempDir(async (dir) => {
    const train = join(dir, "train.csv");
    const dev = join(dir, "dev.csv");
    const rows = Array.from({ length: 130_000 }, (_, i) => `t${i},${i % 3}`);
    await Deno.writeTextFile(train, `text,label\n${rows.join("\n")}\n`);
    await Deno.writeTextFile(dev, "text,label\nx,2\n");
    const task = await loadCustomTask({ train, dev });
    assertEquals([task.card.numLabels, task.card.sizes.train], [3, 130_000]);
  }));
