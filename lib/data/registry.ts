/**
 * The built-in offline tasks: stand-ins for the paper's GLUE tasks built from data shipped in
 * pinned npm packages, each with a card, fixed seeded splits and a low-data variant.
 *
 * @module
 */
import type { Task, TaskInfo } from "./example.ts";
import { buildTask, type RawSplits, sample } from "./_build.ts";
import type { PackageLookup } from "./package_files.ts";
import { SENTIMENT_FILES, SENTIMENT_PACKAGE, sentimentSplits } from "./_sentiment.ts";
import { wicSplits, WORDNET_FILES, WORDNET_PACKAGE } from "./_wic.ts";
import { SOTU_PACKAGE, sotuSplits } from "./_sotu.ts";
import { SPAM_PACKAGE, spamSplits } from "./_spam.ts";

/** Names of the built-in tasks. */
export type BuiltinTaskName =
  | "sentiment"
  | "wic"
  | "sotu-year"
  | "spam"
  | "sentiment-low"
  | "wic-low"
  | "sotu-year-low"
  | "spam-low";

type BaseName = "sentiment" | "wic" | "sotu-year" | "spam";

/** Training and dev sizes of the low-data variants (`<task>-low`). */
export const LOW_DATA_SIZES: { readonly train: number; readonly dev: number } = {
  train: 256,
  dev: 256,
};

const BASE_INFO: Record<BaseName, TaskInfo> = {
  sentiment: {
    name: "sentiment",
    description:
      "A one-sentence Amazon, IMDb or Yelp review; label 1 positive, 0 negative (exact duplicates dropped; split 80/10/10).",
    kind: "classification",
    labels: ["negative", "positive"],
    numLabels: 2,
    metrics: ["accuracy"],
    licence:
      "Package MIT; sentences from UCI 'Sentiment Labelled Sentences' (Kotzias et al. 2015), CC BY 4.0",
    source: {
      origin: `npm:${SENTIMENT_PACKAGE.name}@${SENTIMENT_PACKAGE.version}`,
      paths: SENTIMENT_FILES,
    },
    glue: "SST-2",
    splitSeed: 2001,
  },
  wic: {
    name: "wic",
    description:
      "Two WordNet example sentences that use the same word (regular inflections allowed); label 1 if both come from the same synset, 0 if from different synsets of that word and part of speech. Balanced per word; split 80/10/10 by word.",
    kind: "classification",
    labels: ["different-sense", "same-sense"],
    numLabels: 2,
    metrics: ["accuracy", "f1"],
    licence: "WordNet 3.0 licence (Princeton University, permissive); package MIT",
    source: {
      origin: `npm:${WORDNET_PACKAGE.name}@${WORDNET_PACKAGE.version}`,
      paths: WORDNET_FILES,
    },
    glue: "RTE / MRPC (sentence pairs)",
    splitSeed: 2002,
  },
  "sotu-year": {
    name: "sotu-year",
    description:
      "A sentence (≥ 5 words) of a US State of the Union address; the label is the address's year, standardised with the training split's mean and std (see card.standardisation). Split 80/10/10 by address.",
    kind: "regression",
    labels: [],
    numLabels: 1,
    metrics: ["pearson", "spearman"],
    licence: "Public domain texts; package Apache-2.0, data PDDL-1.0 AND CC0-1.0",
    source: {
      origin: `npm:${SOTU_PACKAGE.name}@${SOTU_PACKAGE.version}`,
      paths: ["data/YYYY_name_party.json"],
    },
    glue: "STS-B",
    splitSeed: 2003,
  },
  spam: {
    name: "spam",
    description:
      "The body of a SpamAssassin email (headers and HTML removed, MIME parts decoded, cut to 2,000 characters); label 1 spam, 0 ham. Exact duplicates dropped; split 80/10/10.",
    kind: "classification",
    labels: ["ham", "spam"],
    numLabels: 2,
    metrics: ["accuracy", "mcc"],
    licence: "SpamAssassin public corpus; package Apache-2.0, data PDDL-1.0 AND CC0-1.0",
    source: {
      origin: `npm:${SPAM_PACKAGE.name}@${SPAM_PACKAGE.version}`,
      paths: ["data/file_list.json", "data/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/*.txt"],
    },
    glue: "CoLA / SST-2 (single-text classification, MCC)",
    splitSeed: 2004,
  },
};

function lowInfo(base: TaskInfo): TaskInfo {
  return {
    ...base,
    name: `${base.name}-low`,
    description:
      `Low-data ${base.name}: ${LOW_DATA_SIZES.train} training examples drawn from ${base.name}'s training split and ${LOW_DATA_SIZES.dev} dev examples from its dev split (seeded). ${base.description}`,
    splitSeed: base.splitSeed! + 100,
  };
}

/** The card of every built-in task, before loading (sizes are added by {@linkcode loadTask}). */
export const TASK_INFO: Readonly<Record<BuiltinTaskName, TaskInfo>> = {
  ...BASE_INFO,
  "sentiment-low": lowInfo(BASE_INFO.sentiment),
  "wic-low": lowInfo(BASE_INFO.wic),
  "sotu-year-low": lowInfo(BASE_INFO["sotu-year"]),
  "spam-low": lowInfo(BASE_INFO.spam),
};

/** Every built-in task name. */
export const BUILTIN_TASK_NAMES: readonly BuiltinTaskName[] = Object.keys(
  TASK_INFO,
) as BuiltinTaskName[];

const LOADERS: Record<BaseName, (lookup: PackageLookup, seed: number) => Promise<RawSplits>> = {
  sentiment: sentimentSplits,
  wic: wicSplits,
  "sotu-year": sotuSplits,
  spam: spamSplits,
};

const rawCache = new Map<string, Promise<RawSplits>>();
const taskCache = new Map<string, Promise<Task>>();

function rawSplits(base: BaseName, lookup: PackageLookup): Promise<RawSplits> {
  const key = `${base}\u0000${lookup.nodeModulesDir ?? ""}`;
  let p = rawCache.get(key);
  if (p === undefined) {
    p = LOADERS[base](lookup, BASE_INFO[base].splitSeed!);
    p.catch(() => rawCache.delete(key));
    rawCache.set(key, p);
  }
  return p;
}

async function build(name: BuiltinTaskName, lookup: PackageLookup): Promise<Task> {
  const info = TASK_INFO[name];
  const low = name.endsWith("-low");
  const base = (low ? name.slice(0, -4) : name) as BaseName;
  const raw = await rawSplits(base, lookup);
  const standardise = info.kind === "regression";
  if (!low) return buildTask(info, raw, { standardise });
  const splits = {
    train: sample(raw.train, LOW_DATA_SIZES.train, info.splitSeed!),
    dev: sample(raw.dev, LOW_DATA_SIZES.dev, info.splitSeed! + 1),
    test: [],
  };
  return buildTask(info, splits, { standardise, withTest: false });
}

/**
 * Loads a built-in task from its npm package (parsed once per process and cached).
 *
 * Splits are fixed: each task's items (or groups of items: words for `wic`, addresses for
 * `sotu-year`) are ordered by `permutation(randomKey(card.splitSeed), n)` and cut 80/10/10
 * into train/dev/test. A `-low` variant takes seeded samples of its task's train and dev
 * splits and has no test split.
 *
 * @param name A built-in task name (see {@linkcode BUILTIN_TASK_NAMES}).
 * @param lookup Where to find `node_modules/` (searched from the working directory by default).
 * @returns The task: its card (with sizes) and its splits. Treat it as read-only: it is shared.
 * @throws {RangeError} For an unknown name.
 * @throws {Error} When the npm package is not installed (the message says how to fetch it).
 * @example
 * ```ts
 * import { loadTask } from "@loradrop/core/data";
 * import { assertEquals } from "@std/assert";
 * const task = await loadTask("sentiment-low");
 * assertEquals(task.card.glue, "SST-2");
 * assertEquals(task.train.length, task.card.sizes.train);
 * assertEquals(new Set(task.train.map((e) => e.label)), new Set([0, 1]));
 * ```
 */
export function loadTask(name: BuiltinTaskName, lookup: PackageLookup = {}): Promise<Task> {
  if (!Object.hasOwn(TASK_INFO, name)) {
    return Promise.reject(
      new RangeError(
        `Cannot load task: unknown name "${name}", expected one of ${
          BUILTIN_TASK_NAMES.join(", ")
        }`,
      ),
    );
  }
  const key = `${name}\u0000${lookup.nodeModulesDir ?? ""}`;
  let p = taskCache.get(key);
  if (p === undefined) {
    p = build(name, lookup);
    p.catch(() => taskCache.delete(key));
    taskCache.set(key, p);
  }
  return p;
}
