/**
 * Scores of a "contender" (a method, or a family of methods, possibly at several rates) per pair
 * (task, seed), with the hyper-parameter chosen without a winner's curse.
 *
 * The paper picks each method's best rate on the dev set and reports that same dev score, which
 * inflates the score of methods with more settings to choose from. loradrop chooses by
 * **leave-one-seed-out**: for the pair (task, seed s), the setting is the one with the highest mean
 * best-dev score over the *other* seeds on that task, and seed s's own score at that setting is
 * reported. No seed's score influences the choice it is reported under. With a single setting
 * there is nothing to choose: it was fixed a priori.
 *
 * @module
 */
import { mean } from "./stats.ts";
import type { StoredRun } from "../run/store.ts";

/** Which score of a run: its best dev evaluation (the paper's protocol) or its last one. */
export type ScoreKind = "best" | "final";

/**
 * A run's score: main dev metric × 100 at its best or its final evaluation.
 *
 * @param run A stored run.
 * @param kind `best` or `final`.
 * @returns The score, or undefined without an evaluation.
 * @example
 * ```ts
 * import { scoreOf } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const run = { record: { best: { value: 0.75 }, final: { value: 0.5 } } };
 * assertEquals([scoreOf(run as never, "best"), scoreOf(run as never, "final")], [75, 50]);
 * ```
 */
export function scoreOf(run: StoredRun, kind: ScoreKind): number | undefined {
  const at = kind === "best" ? run.record.best : run.record.final;
  return at === undefined || !Number.isFinite(at.value) ? undefined : at.value * 100;
}

/** A method or family of methods compared as one: which runs belong to it, under which setting. */
export interface Contender {
  /** Its name in tables (e.g. `dropKey-column`, `best DropKey`). */
  readonly name: string;
  /** The setting a run belongs to (e.g. `dropKey-column p=0.1`), or undefined when it is not the contender's. */
  readonly settingOf: (run: StoredRun) => string | undefined;
}

/**
 * A contender made of named methods at LoRA rank `rank`, one setting per (method, rate).
 *
 * @param name The contender's name.
 * @param methods Its methods.
 * @param rank The LoRA rank of its runs (default 8).
 * @returns The contender.
 * @example
 * ```ts
 * import { methodsContender } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const c = methodsContender("DropKey", ["dropKey-column"]);
 * assertEquals(c.settingOf({ spec: { method: "dropKey-column", rate: 0.1, rank: 8 } } as never), "dropKey-column p=0.1");
 * ```
 */
export function methodsContender(
  name: string,
  methods: readonly string[],
  rank = 8,
): Contender {
  return {
    name,
    settingOf: (run) =>
      methods.includes(run.spec.method) && run.spec.rank === rank
        ? `${run.spec.method}${run.spec.rate > 0 ? ` p=${run.spec.rate}` : ""}`
        : undefined,
  };
}

/** A contender's score on one pair. */
export interface PairScore {
  /** The task. */
  readonly task: string;
  /** The seed. */
  readonly seed: number;
  /** The score reported (× 100). */
  readonly score: number;
  /** The setting it was reported under. */
  readonly setting: string;
}

/** A contender's scores over pairs and how its setting was chosen. */
export interface ContenderScores {
  /** Scores by `task\u0000seed`. */
  readonly byPair: ReadonlyMap<string, PairScore>;
  /** How the setting was chosen, in words. */
  readonly selection: string;
}

/**
 * The key of a pair in {@linkcode ContenderScores.byPair}.
 *
 * @param task The task.
 * @param seed The seed.
 * @returns The key.
 * @example
 * ```ts
 * import { pairKey } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(pairKey("a", 1), "a\u00001");
 * ```
 */
export function pairKey(task: string, seed: number): string {
  return `${task}\u0000${seed}`;
}

/**
 * A contender's score on every pair (task, seed), its setting chosen by leave-one-seed-out on
 * the best-dev scores when it has several (see the module doc).
 *
 * @param runs Stored runs (others than the contender's are ignored).
 * @param contender The contender.
 * @param tasks The tasks to score.
 * @param kind Which score to report (selection always uses the best-dev score).
 * @returns The scores and the protocol.
 * @example
 * ```ts
 * import { contenderScores, methodsContender } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const run = (rate: number, seed: number, v: number) =>
 *   ({ spec: { task: "t", method: "m", rank: 8, rate, seed }, record: { best: { value: v }, final: { value: v } } });
 * // rate 0.2 is best on seeds 0 and 1, so seed 2 is reported at 0.2 although 0.1 is its own best.
 * const runs = [run(0.1, 0, 0.5), run(0.1, 1, 0.5), run(0.1, 2, 0.9), run(0.2, 0, 0.7), run(0.2, 1, 0.7), run(0.2, 2, 0.6)];
 * const s = contenderScores(runs as never, methodsContender("m", ["m"]), ["t"], "best");
 * assertEquals(s.byPair.get("t\u00002")?.setting, "m p=0.2");
 * ```
 */
export function contenderScores(
  runs: readonly StoredRun[],
  contender: Contender,
  tasks: readonly string[],
  kind: ScoreKind,
): ContenderScores {
  const byPair = new Map<string, PairScore>();
  const settingsSeen = new Set<string>();
  let chosenBySelection = 0;
  for (const task of tasks) {
    // setting → seed → [best score, reported score]
    const table = new Map<string, Map<number, [number, number]>>();
    for (const run of runs) {
      if (run.spec.task !== task) continue;
      const setting = contender.settingOf(run);
      const best = scoreOf(run, "best"), reported = scoreOf(run, kind);
      if (setting === undefined || best === undefined || reported === undefined) continue;
      if (!table.has(setting)) table.set(setting, new Map());
      table.get(setting)!.set(run.spec.seed, [best, reported]);
    }
    const settings = [...table.keys()].sort();
    settings.forEach((s) => settingsSeen.add(s));
    const seeds = [...new Set(settings.flatMap((s) => [...table.get(s)!.keys()]))];
    for (const seed of seeds) {
      const candidates = settings.filter((s) => table.get(s)!.has(seed));
      let chosen: string | undefined;
      if (settings.length === 1) {
        chosen = candidates[0];
      } else {
        let bestMean = -Infinity;
        for (const s of candidates) {
          const others = [...table.get(s)!.entries()].filter(([k]) => k !== seed).map(([, v]) =>
            v[0]
          );
          if (others.length === 0) continue;
          const m = mean(others);
          if (m > bestMean) [bestMean, chosen] = [m, s];
        }
        if (chosen !== undefined) chosenBySelection++;
      }
      if (chosen === undefined) continue;
      byPair.set(pairKey(task, seed), {
        task,
        seed,
        score: table.get(chosen)!.get(seed)![1],
        setting: chosen,
      });
    }
  }
  const counts = new Map<string, number>();
  for (const p of byPair.values()) counts.set(p.setting, (counts.get(p.setting) ?? 0) + 1);
  const picked = [...counts.entries()].map(([s, c]) => `${s} ×${c}`).join(", ");
  const selection = chosenBySelection === 0
    ? settingsSeen.size === 0
      ? `${contender.name}: no runs`
      : `${contender.name}: ${[...settingsSeen].join(", ")} (fixed a priori)`
    : `${contender.name}: chosen among ${settingsSeen.size} settings by leave-one-seed-out ` +
      `on best dev scores (${picked})`;
  return { byPair, selection };
}
