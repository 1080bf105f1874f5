import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { loadCustomData, loadCustomTask, parseCustomData } from "../lib/data/custom.ts";

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
    [csv(",0\n"), "csv", 'line 3: field "text" is empty'],
    [
      csv("x,-1\n"),
      "csv",
      'line 3: label must be a non-negative integer class index, received "-1"',
    ],
    [csv("x,1.5\n"), "csv", 'received "1.5"'],
    [csv("x,\n"), "csv", "line 3: the label is missing"],
    [csv("x,1,extra\n"), "csv", "line 3: Invalid Record Length"],
    [csv('"x,1\n'), "csv", "Quote Not Closed"],
    ['{"text": "a", "label": 0}\n{"text": "b"\n', "jsonl", "line 2: invalid JSON"],
    ['{"text": "a", "label": 0}\n[1, 2]\n', "jsonl", "line 2: expected a JSON object"],
    [
      '{"text": "a", "label": 0}\n\n{"txt": "b", "label": 1}\n',
      "jsonl",
      'line 3: no field "text" (fields: txt, label)',
    ],
    ['{"text": 5, "label": 0}\n', "jsonl", 'line 1: field "text" must be a string, received 5'],
    ['{"text": "a", "label": true}\n', "jsonl", "line 1: label must be a non-negative integer"],
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
    'label must be a finite number, received "x"',
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
      `custom data ${join(dir, "a.ndjson")}: line 2: field "text" is empty`,
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
