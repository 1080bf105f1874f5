/**
 * The pattern table: every structural dropout pattern (paper Fig. 2) is one row — its name, the
 * positions it may act at, its mask samplers (attention and/or representation), the axes its mask
 * broadcasts over, and its default rescaling on representations. `DROP_PATTERNS`, spec validation,
 * the operators' accepted patterns, the mask samplers and the preset names all read this table, so
 * a new pattern is one {@linkcode registerDropPattern} call (ARCHITECTURE.md, "Adding a pattern").
 *
 * @module
 */
import type { RandomKey } from "../random.ts";
import type { Tensor, Tensor2D, Tensor4D } from "../types.ts";
import { ATTENTION_POSITIONS, DROP_POSITIONS, type DropPosition } from "./positions.ts";
import { BUILT_IN_PATTERNS } from "./samplers.ts";
import { createTable } from "../_table.ts";

/** The built-in patterns (see {@linkcode DROP_PATTERNS}). */
export type BuiltInDropPattern = "element" | "column" | "column-feature" | "column-token" | "span";

/**
 * The structure of a mask (paper Fig. 2): a built-in pattern or one registered with
 * {@linkcode registerDropPattern}.
 * - `element`: independent per entry
 * - `column`: attention only: whole keys, for every query of a head; mask `(B, H, 1, Tk)`
 * - `column-feature`: representations: whole feature dimensions across all tokens; mask `(B, 1, D)`
 * - `column-token`: representations: whole token vectors; mask `(B, T, 1)`
 * - `span`: one contiguous run of keys (attention, per head) or tokens (representations),
 *   length `max(1, floor(rate × non-pad length))`
 */
export type DropPattern = BuiltInDropPattern | (string & Record<never, never>);

/** How a span's start is chosen: uniformly, or (HiddenCut) among the 40% most-attended tokens. */
export type SpanStart = "uniform" | "attention-top40";

/** Options of a representation mask sampler. */
export interface RepresentationMaskOptions {
  /** `(B, T)`, 1 for real tokens: spans lie only over real tokens and their length counts them. */
  readonly tokenMask?: Tensor2D;
  /** `(B, T)`: the attention each token receives; needed when `spanStart` is `attention-top40`. */
  readonly attentionReceived?: Tensor2D;
  /** How a span's start is drawn; `uniform` by default. */
  readonly spanStart?: SpanStart;
  /** The value of kept entries (e.g. `1/(1−p)` to fold the rescaling in); 1 by default. */
  readonly value?: number;
}

/**
 * Draws a keep-mask (1 keep, 0 drop) for attention `[B, H, Tq, Tk]`; the shape and rate are
 * already checked. Its shape is the input's with 1 on every axis of `maskAxes`.
 */
export type AttentionSampler = (
  key: RandomKey,
  shape: readonly [number, number, number, number],
  rate: number,
  tokenMask?: Tensor2D,
) => Tensor4D;

/**
 * Draws a keep-mask (`options.value` keep, 0 drop) for a representation of shape `shape`, of a
 * rank the row accepts; the shape, rate and value are already checked.
 */
export type RepresentationSampler = (
  key: RandomKey,
  shape: readonly number[],
  rate: number,
  options: RepresentationMaskOptions & { readonly value: number },
) => Tensor;

/** One row of the pattern table. */
export interface DropPatternRow {
  /** The pattern's name, as written in a `DropSpec`. */
  readonly name: string;
  /** The positions the pattern may act at. */
  readonly positions: readonly DropPosition[];
  /** Its sampler on attention `(B, H, Tq, Tk)`; required when `positions` has an attention one. */
  readonly attention?: {
    readonly sample: AttentionSampler;
    /** The axes of `(B, H, Tq, Tk)` the mask has size 1 on (e.g. `[2]`: one mask for all queries). */
    readonly maskAxes: readonly number[];
  };
  /** Its sampler on representations; required when `positions` has a representation one. */
  readonly representation?: {
    readonly sample: RepresentationSampler;
    /** The axes of a `(B, T, D)` input the mask has size 1 on (`(B, D)` masks are full). */
    readonly maskAxes: readonly number[];
    /** The input ranks it accepts (2: `(B, D)`, 3: `(B, T, D)`); any rank when absent. */
    readonly ranks?: readonly number[];
  };
  /** The default rescaling on representations (the other of `inverse-keep` / `none` is allowed). */
  readonly rescale: "inverse-keep" | "none";
  /** The message tail for a spec that puts the pattern at a position it does not serve. */
  readonly misplaced?: (position: DropPosition) => string;
}

const TABLE = createTable<DropPatternRow>("dropout pattern", "name", checkRow, BUILT_IN_PATTERNS);

/**
 * Every pattern in the table, in registration order (the built-ins first, in the order of
 * {@linkcode BuiltInDropPattern}). The array is the table's own: it grows and shrinks with
 * {@linkcode registerDropPattern} and {@linkcode unregisterDropPattern}.
 *
 * @example
 * ```ts
 * import { DROP_PATTERNS } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * assertEquals(DROP_PATTERNS.slice(0, 2), ["element", "column"]);
 * ```
 */
export const DROP_PATTERNS: readonly DropPattern[] = TABLE.names;

/**
 * Adds a pattern to the table. From then on specs may use it at its positions, `dropKey`,
 * `dropAttention` and `dropRepresentation` sample it, and presets of its positions' families
 * (`dropKey-NAME`, …) exist.
 *
 * @param row The pattern's row.
 * @returns The row.
 * @example
 * ```ts
 * import { dropPatternRow, registerDropPattern, unregisterDropPattern } from "./patterns.ts";
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs-core";
 * registerDropPattern({
 *   name: "keep-all",
 *   positions: ["hidden"],
 *   representation: { sample: (_k, shape, _r, o) => tf.fill([...shape], o.value), maskAxes: [] },
 *   rescale: "none",
 * });
 * assertEquals(dropPatternRow("keep-all")?.positions, ["hidden"]);
 * unregisterDropPattern("keep-all");
 * ```
 */
export function registerDropPattern(row: DropPatternRow): DropPatternRow {
  return TABLE.register(row);
}

/** The checks a row passes beyond its name. */
function checkRow(row: DropPatternRow): void {
  if (!Array.isArray(row.positions) || row.positions.length === 0) {
    throw new TypeError(
      `Cannot register dropout pattern "${row.name}": positions must be a non-empty array, received ${
        JSON.stringify(row.positions)
      }`,
    );
  }
  for (const position of row.positions) {
    if (!DROP_POSITIONS.includes(position)) {
      throw new TypeError(
        `Cannot register dropout pattern "${row.name}": positions must be among ${
          DROP_POSITIONS.join(", ")
        }, received "${position}"`,
      );
    }
    const attention = ATTENTION_POSITIONS.includes(position);
    if (attention ? row.attention === undefined : row.representation === undefined) {
      throw new TypeError(
        `Cannot register dropout pattern "${row.name}": position "${position}" needs an ${
          attention ? "attention" : "representation"
        } sampler, received none`,
      );
    }
  }
  if (row.rescale !== "inverse-keep" && row.rescale !== "none") {
    throw new TypeError(
      `Cannot register dropout pattern "${row.name}": rescale must be "inverse-keep" or "none", received "${row.rescale}"`,
    );
  }
}

/**
 * Removes a registered pattern (the built-ins stay).
 *
 * @param name The pattern's name.
 * @example
 * ```ts
 * import { unregisterDropPattern } from "./patterns.ts";
 * import { assertThrows } from "@std/assert";
 * assertThrows(() => unregisterDropPattern("span"), TypeError, "built-in");
 * ```
 */
export function unregisterDropPattern(name: string): void {
  TABLE.unregister(name);
}

/**
 * The row of a pattern, or undefined for an unknown name.
 *
 * @param name The pattern's name.
 * @returns The row.
 * @example
 * ```ts
 * import { dropPatternRow } from "./patterns.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(dropPatternRow("column")?.attention?.maskAxes, [2]);
 * assertEquals(dropPatternRow("dropout"), undefined);
 * ```
 */
export function dropPatternRow(name: string): DropPatternRow | undefined {
  return TABLE.get(name);
}

/**
 * The patterns that may act at some position of `positions`, in table order.
 *
 * @param positions The positions (one or several).
 * @returns The pattern names.
 * @example
 * ```ts
 * import { patternsAt } from "./patterns.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(patternsAt(["attention-logits"]), ["element", "column", "span"]);
 * ```
 */
export function patternsAt(positions: readonly DropPosition[]): DropPattern[] {
  return DROP_PATTERNS.filter((name) =>
    TABLE.get(name)!.positions.some((p) => positions.includes(p))
  );
}
