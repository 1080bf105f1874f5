/**
 * The reproduction's two tracks as one table: the NLU track (the paper's GLUE-style
 * classification and regression tasks, `deno task repro`) and the NLG track (E2E data-to-text,
 * Table 2, `deno task repro nlg`) plan, run and store their runs the same way (`RunSpec`s, one
 * store, one scheduler, one run lock); what differs is data — the command, presets, runs, methods
 * and where its runs live. The commands and the report read it from here.
 *
 * @module
 */
import { reproExperiments } from "./experiments.ts";
import { NLG_METHODS, NLG_PRESETS, type NlgPreset, nlgRunSpecs } from "./nlg_experiments.ts";
import { REPRO_PRESETS, type ReproPreset, type RunSpec } from "./run_spec.ts";

/** A track's name. */
export type TrackName = "nlu" | "nlg";

/** What one track is, as data. */
export interface ReproTrack {
  /** `nlu` or `nlg`. */
  readonly name: TrackName;
  /** The command that runs it. */
  readonly command: string;
  /** Its presets, smallest first. */
  readonly presets: readonly string[];
  /** Presets of the other track read as one of this track's (the NLG track reads `full` as `quick`). */
  readonly presetAliases: Readonly<Record<string, string>>;
  /** Where its runs live below a preset's results folder (`""`: the folder itself). */
  readonly folder: string;
  /** A preset's runs, in the order a grid runs them (shared runs appear once per experiment). */
  readonly runs: (preset: string) => RunSpec[];
  /** The methods a preset compares, in the report's order. */
  readonly methods: (preset: string) => readonly string[];
}

const unique = (xs: readonly string[]) => [...new Set(xs)];
const nluRuns = (preset: string) => reproExperiments(preset as ReproPreset).flatMap((e) => e.runs);

/** The two tracks. */
export const REPRO_TRACKS: Readonly<Record<TrackName, ReproTrack>> = {
  nlu: {
    name: "nlu",
    command: "deno task repro",
    presets: REPRO_PRESETS,
    presetAliases: {},
    folder: "",
    runs: nluRuns,
    methods: (preset) => unique(nluRuns(preset).map((r) => r.method)),
  },
  nlg: {
    name: "nlg",
    command: "deno task repro nlg",
    presets: NLG_PRESETS,
    presetAliases: { full: "quick" },
    folder: "nlg",
    runs: (preset) => nlgRunSpecs(preset as NlgPreset),
    methods: () => NLG_METHODS,
  },
};

/**
 * A track's preset named by `text`, its aliases resolved.
 *
 * @param track The track.
 * @param text A preset name.
 * @returns One of `track.presets`.
 * @throws {RangeError} When `text` names none of them.
 * @example
 * ```ts
 * import { REPRO_TRACKS, trackPreset } from "./tracks.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(trackPreset(REPRO_TRACKS.nlg, "full"), "quick");
 * assertEquals(trackPreset(REPRO_TRACKS.nlu, "full"), "full");
 * assertThrows(() => trackPreset(REPRO_TRACKS.nlg, "huge"), RangeError, "huge");
 * ```
 */
export function trackPreset(track: ReproTrack, text: string): string {
  const preset = track.presetAliases[text] ?? text;
  if (!track.presets.includes(preset)) {
    throw new RangeError(
      `Cannot use preset "${text}" for the ${track.name} track: expected one of ${
        track.presets.join(", ")
      }`,
    );
  }
  return preset;
}

/**
 * The folder of a track's runs for a preset under a results root (`<out>/<preset>` and, for a
 * track with its own folder, below it).
 *
 * @param track The track.
 * @param out The results root (`results` by default on the command line).
 * @param preset The preset.
 * @returns The folder.
 * @example
 * ```ts
 * import { REPRO_TRACKS, trackResultsDir } from "./tracks.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(trackResultsDir(REPRO_TRACKS.nlu, "results", "smoke"), "results/smoke");
 * assertEquals(trackResultsDir(REPRO_TRACKS.nlg, "results", "smoke"), "results/smoke/nlg");
 * ```
 */
export function trackResultsDir(track: ReproTrack, out: string, preset: string): string {
  return track.folder === "" ? `${out}/${preset}` : `${out}/${preset}/${track.folder}`;
}
