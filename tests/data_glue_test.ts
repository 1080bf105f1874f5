// GLUE loaders on small files in GLUE's TSV layouts (written here) and in the Hugging Face parquet
// layout (tests/fixtures/glue/, written by pyarrow: tests/fixtures/glue/make_glue_parquet.py).
import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { GLUE_TASK_NAMES, type GlueTaskName, loadGlueTask } from "../lib/data/glue.ts";

const FIXTURES = new URL("./fixtures/glue/", import.meta.url).pathname;

async function withDir(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, content] of Object.entries(files)) {
      await Deno.mkdir(join(dir, name, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, name), content);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const tsv = (rows: string[][]) => rows.map((r) => r.join("\t")).join("\n") + "\n";

Deno.test("loadGlueTask reads CoLA's header-less TSV (source, label, annotation, sentence)", async () => {
  await withDir({
    "train.tsv": tsv([
      ["gj04", "1", "", "Our friends won't buy this analysis, let alone the next one we propose."],
      ["gj04", "0", "*", "They drank the pub."],
    ]),
    "dev.tsv": tsv([["clc95", "0", "*", "Sue gave to Bill a book."]]),
  }, async (dir) => {
    const t = await loadGlueTask("cola", dir);
    assertEquals(t.train, [
      { text: "Our friends won't buy this analysis, let alone the next one we propose.", label: 1 },
      { text: "They drank the pub.", label: 0 },
    ]);
    assertEquals(t.dev, [{ text: "Sue gave to Bill a book.", label: 0 }]);
    assertEquals(t.card.metrics, ["mcc"]);
    assertEquals(t.card.source.origin, "GLUE TSV");
  });
});

Deno.test("loadGlueTask reads MRPC's TSV with a BOM, its own header and unescaped quotes", async () => {
  const header = ["\ufeffQuality", "#1 ID", "#2 ID", "#1 String", "#2 String"];
  await withDir({
    "train.tsv": tsv([
      header,
      [
        "1",
        "702876",
        "702977",
        'He called " the witness " here .',
        'Referring to " the witness " .',
      ],
      ["0", "2108705", "2108831", "Yucaipa owned Dominick 's .", "Yucaipa bought Dominick 's ."],
    ]),
    "dev.tsv": tsv([header, ["1", "1", "2", "a", "b"]]).replaceAll("\n", "\r\n"),
  }, async (dir) => {
    const t = await loadGlueTask("mrpc", dir);
    assertEquals(t.train[0], {
      text: 'He called " the witness " here .',
      textPair: 'Referring to " the witness " .',
      label: 1,
    });
    assertEquals(t.train[1]!.label, 0);
    assertEquals(t.dev, [{ text: "a", textPair: "b", label: 1 }]);
    assertEquals(t.card.metrics, ["accuracy", "f1"]);
  });
});

Deno.test("loadGlueTask reads STS-B's ten-column TSV, SST-2, and RTE/QNLI's named labels", async () => {
  const stsHeader = ["index", "genre", "filename", "year", "old_index", "source1", "source2"];
  await withDir({
    "stsb/train.tsv": tsv([
      [...stsHeader, "sentence1", "sentence2", "score"],
      [
        "0",
        "main-captions",
        "MSRvid",
        "2012test",
        "0001",
        "none",
        "none",
        "A plane.",
        "An air plane.",
        "5.000",
      ],
      [
        "1",
        "main-captions",
        "MSRvid",
        "2012test",
        "0004",
        "none",
        "none",
        "A flute.",
        "A bamboo flute.",
        "3.800",
      ],
    ]),
    "stsb/dev.tsv": tsv([
      [...stsHeader, "sentence1", "sentence2", "score"],
      [
        "0",
        "main-captions",
        "MSRvid",
        "2012test",
        "0000",
        "none",
        "none",
        "A hat.",
        "A cap.",
        "4.750",
      ],
    ]),
    "sst2/train.tsv": tsv([["sentence", "label"], ["hide new secretions ", "0"]]),
    "sst2/dev.tsv": tsv([["sentence", "label"], ["it 's a charming journey . ", "1"]]),
    "rte/train.tsv": tsv([
      ["index", "sentence1", "sentence2", "label"],
      ["0", "No WMD found in Iraq yet.", "WMD found in Iraq.", "not_entailment"],
      ["1", "The Pope died, sadly.", "The Pope died.", "entailment"],
    ]),
    "rte/dev.tsv": tsv([["index", "sentence1", "sentence2", "label"], [
      "0",
      "a",
      "b",
      "entailment",
    ]]),
    "qnli/train.tsv": tsv([
      ["index", "question", "sentence", "label"],
      ["0", "When did it begin?", "It began in 2001.", "entailment"],
    ]),
    "qnli/dev.tsv": tsv([["index", "question", "sentence", "label"], [
      "0",
      "q",
      "s",
      "not_entailment",
    ]]),
  }, async (root) => {
    const sts = await loadGlueTask("stsb", join(root, "stsb"));
    assertEquals(sts.train.map((e) => e.label), [5, 3.8]);
    assertEquals(sts.dev, [{ text: "A hat.", textPair: "A cap.", label: 4.75 }]);
    assertEquals(sts.card.kind, "regression");
    const sst = await loadGlueTask("sst2", join(root, "sst2"));
    assertEquals(sst.train, [{ text: "hide new secretions ", label: 0 }]);
    const rte = await loadGlueTask("rte", join(root, "rte"));
    assertEquals(rte.train.map((e) => e.label), [1, 0]); // 0 entailment, as on Hugging Face
    assertEquals(rte.train[0]!.textPair, "WMD found in Iraq.");
    const qnli = await loadGlueTask("qnli", join(root, "qnli"));
    assertEquals(qnli.train, [{
      text: "When did it begin?",
      textPair: "It began in 2001.",
      label: 0,
    }]);
    assertEquals(qnli.dev[0]!.label, 1);
  });
});

Deno.test("loadGlueTask reports a bad TSV row with its line number and reason", async () => {
  const header = ["index", "sentence1", "sentence2", "label"];
  await withDir({
    "a/train.tsv": tsv([header, ["0", "x", "y", "entailment"], ["1", "x", "y", "maybe"]]),
    "a/dev.tsv": tsv([header]),
    "b/train.tsv": tsv([header, ["0", "x", "y"]]),
    "b/dev.tsv": tsv([header]),
    "c/train.tsv": tsv([["index", "premise", "hypothesis", "label"]]),
    "c/dev.tsv": tsv([header]),
    "d/train.tsv": tsv([["sentence", "label"], ["fine", "2"]]),
    "e/train.tsv": tsv([["x", "1", "", "ok"]]),
  }, async (root) => {
    // [task, its folder under root, what the error says]
    const cases: [GlueTaskName, string, string][] = [
      ["rte", "a", 'line 3: label must be one of entailment, not_entailment, received "maybe"'],
      ["rte", "b", "line 2 has 3 tab-separated fields, expected 4"],
      ["rte", "c", 'the header has no column "sentence1"'],
      ["sst2", "d", 'line 2: label must be an integer in [0, 1], received "2"'],
      ["cola", "e", "dev.tsv"],
      ["cola", "missing", "cannot read directory"],
      ["cola", ".", "neither train.tsv"],
    ];
    for (const [task, folder, message] of cases) {
      await assertRejects(() => loadGlueTask(task, join(root, folder)), Error, message);
    }
  });
});

Deno.test("loadGlueTask rejects a split file without examples", async () => {
  const header = ["sentence", "label"];
  await withDir({
    "a/train.tsv": tsv([header, ["fine", "1"]]),
    "a/dev.tsv": tsv([header]),
    "b/train.tsv": "",
    "b/dev.tsv": tsv([["x", "1", "", "ok"]]),
  }, async (root) => {
    await assertRejects(
      () => loadGlueTask("sst2", join(root, "a")),
      RangeError,
      `the validation split needs at least one example, received 0 (${join(root, "a", "dev.tsv")})`,
    );
    await assertRejects(
      () => loadGlueTask("cola", join(root, "b")),
      RangeError,
      `the train split needs at least one example, received 0 (${join(root, "b", "train.tsv")})`,
    );
  });
});

const PARQUET_FIRST: Record<GlueTaskName, { text: string; textPair?: string; label: number }> = {
  cola: { text: "Our friends won't buy this analysis.", label: 1 },
  sst2: { text: "hide new secretions from the parental units ", label: 0 },
  mrpc: {
    text:
      'Amrozi accused his brother , whom he called " the witness " , of deliberately distorting his evidence .',
    textPair:
      'Referring to him as only " the witness " , Amrozi accused his brother of deliberately distorting his evidence .',
    label: 1,
  },
  stsb: { text: "A plane is taking off.", textPair: "An air plane is taking off.", label: 5 },
  qnli: {
    text: "When did the third Digimon series begin?",
    textPair:
      "Unlike the two seasons before it and most of the seasons that followed, Digimon Tamers takes a darker and more realistic approach to its story.",
    label: 1,
  },
  rte: {
    text: "No Weapons of Mass Destruction Found in Iraq Yet.",
    textPair: "Weapons of Mass Destruction Found in Iraq.",
    label: 1,
  },
};

for (const name of GLUE_TASK_NAMES) {
  Deno.test(`loadGlueTask reads the Hugging Face parquet files of ${name}`, async () => {
    const t = await loadGlueTask(name, join(FIXTURES, name));
    assertEquals(t.card.source.origin, "Hugging Face glue parquet");
    assertEquals(t.train[0], PARQUET_FIRST[name]);
    assertEquals(t.card.sizes, { train: t.train.length, dev: t.dev.length });
    assertEquals(t.dev.length >= 1 && t.train.length >= 2, true);
  });
}

Deno.test("loadGlueTask: parquet float32 STS-B scores and nested split folders", async () => {
  const t = await loadGlueTask("stsb", join(FIXTURES, "stsb"));
  assertEquals(t.train.map((e) => e.label), [5, Math.fround(3.8), 0]);
  const dir = await Deno.makeTempDir();
  try {
    for (const split of ["train", "validation"]) {
      await Deno.mkdir(join(dir, split));
      await Deno.copyFile(
        join(FIXTURES, "sst2", `${split}-00000-of-00001.parquet`),
        join(dir, split, "0000.parquet"),
      );
    }
    const nested = await loadGlueTask("sst2", dir);
    assertEquals(nested.dev.map((e) => e.label), [1, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadGlueTask rejects hidden test labels (-1) and parquet files without the columns", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(
      join(FIXTURES, "rte/train-00000-of-00001.parquet"),
      join(dir, "train-0.parquet"),
    );
    await Deno.copyFile(
      join(FIXTURES, "rte/test-00000-of-00001.parquet"),
      join(dir, "validation-0.parquet"),
    );
    await assertRejects(() => loadGlueTask("rte", dir), Error, "(a hidden test label)");
    await assertRejects(
      () => loadGlueTask("qnli", dir, { format: "parquet" }),
      Error,
      'no column "question"',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
