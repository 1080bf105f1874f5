/**
 * The compensation table: every consistency (compensation) loss of the unified framework (paper
 * §2, §4.3) is one row — its kind, its loss function and which second pass it compares the
 * training pass with (another dropout pass, or the inference pass). Plan validation
 * (`validatePlan`), {@linkcode consistencyLoss} and the training step read this table, so a new
 * loss is one {@linkcode registerCompensation} call (ARCHITECTURE.md, "Adding a loss").
 *
 * @module
 */
import type { Tensor } from "../types.ts";
import { orList } from "../_or_list.ts";
import { createTable } from "../_table.ts";
import { jsHiddenCut } from "./js_hidden_cut.ts";
import { jsToInference } from "./js_to_inference.ts";
import { mseConsistency } from "./mse_consistency.ts";
import { symmetricKl } from "./symmetric_kl.ts";

/** The built-in kinds (see {@linkcode CONSISTENCY_KINDS}). */
export type BuiltInConsistencyKind =
  /** ½(KL(P1‖P2) + KL(P2‖P1)) between two training passes (R-Drop, the paper's KL). */
  | "kl"
  /** KL(P1 ‖ P̄) against the inference distribution P̄ (paper Eq. 12). */
  | "js"
  /** HiddenCut's original ½[KL(m‖P1) + KL(m‖P2)], m = (P1+P2)/2. */
  | "js-hiddencut"
  /** Mean squared difference between two passes' outputs (regression heads). */
  | "mse";

/** The consistency (compensation) loss: a built-in kind or one registered in the table. */
export type ConsistencyKind = BuiltInConsistencyKind | (string & Record<never, never>);

/** What the training pass is compared with: a second training (dropout) pass, or inference. */
export type SecondPass = "dropout" | "inference";

/** Options every compensation loss receives. */
export interface CompensationLossOptions {
  /** True: `out2` is a constant target (no gradient flows into it). */
  readonly stopGradientSecond: boolean;
  /** `(B, T)` for sequence outputs: the mean runs over the tokens the mask counts. */
  readonly mask?: Tensor;
}

/** One row of the compensation table. */
export interface CompensationRow {
  /** The kind, as written in a plan's `consistency.kind`. */
  readonly kind: string;
  /** The unweighted loss between pass 1 `(..., C)` and pass 2 (same shape): a scalar. */
  readonly loss: (out1: Tensor, out2: Tensor, options: CompensationLossOptions) => Tensor;
  /** The pass `out2` comes from. */
  readonly secondPass: SecondPass;
}

const BUILT_IN: readonly CompensationRow[] = [
  { kind: "kl", loss: symmetricKl, secondPass: "dropout" },
  { kind: "js", loss: jsToInference, secondPass: "inference" },
  { kind: "js-hiddencut", loss: jsHiddenCut, secondPass: "dropout" },
  { kind: "mse", loss: mseConsistency, secondPass: "dropout" },
];

const TABLE = createTable<CompensationRow>("compensation loss", "kind", checkRow, BUILT_IN);

/** The checks a row passes beyond its kind. */
function checkRow(row: CompensationRow): void {
  if (typeof row.loss !== "function") {
    throw new TypeError(
      `Cannot register compensation loss "${row.kind}": loss must be a function, received ${typeof row
        .loss}`,
    );
  }
  if (row.secondPass !== "dropout" && row.secondPass !== "inference") {
    throw new TypeError(
      `Cannot register compensation loss "${row.kind}": secondPass must be "dropout" or "inference", received "${row.secondPass}"`,
    );
  }
}

/**
 * Every kind in the table, in registration order (the built-ins first). The array is the table's
 * own: it grows and shrinks with {@linkcode registerCompensation} and
 * {@linkcode unregisterCompensation}.
 *
 * @example
 * ```ts
 * import { CONSISTENCY_KINDS } from "./compensations.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(CONSISTENCY_KINDS.slice(0, 4), ["kl", "js", "js-hiddencut", "mse"]);
 * ```
 */
export const CONSISTENCY_KINDS: readonly ConsistencyKind[] = TABLE.names;

/**
 * Adds a compensation loss to the table. From then on plans may name it as `consistency.kind`,
 * {@linkcode consistencyLoss} computes it and the training step runs its second pass.
 *
 * @param row The loss's row.
 * @returns The row.
 * @example
 * ```ts
 * import { compensationRow, registerCompensation, unregisterCompensation } from "./compensations.ts";
 * import { mseConsistency } from "@loradrop/core";
 * import { assertEquals } from "@std/assert";
 * registerCompensation({ kind: "mse-to-inference", loss: mseConsistency, secondPass: "inference" });
 * assertEquals(compensationRow("mse-to-inference")?.secondPass, "inference");
 * unregisterCompensation("mse-to-inference");
 * ```
 */
export function registerCompensation(row: CompensationRow): CompensationRow {
  return TABLE.register(row);
}

/**
 * Removes a registered compensation loss (the built-ins stay).
 *
 * @param kind The loss's kind.
 * @example
 * ```ts
 * import { unregisterCompensation } from "./compensations.ts";
 * import { assertThrows } from "@std/assert";
 * assertThrows(() => unregisterCompensation("kl"), TypeError, "built-in");
 * ```
 */
export function unregisterCompensation(kind: string): void {
  TABLE.unregister(kind);
}

/**
 * The row of a kind, or undefined for an unknown kind.
 *
 * @param kind The kind.
 * @returns The row.
 * @example
 * ```ts
 * import { compensationRow } from "./compensations.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(compensationRow("js")?.secondPass, "inference");
 * assertEquals(compensationRow("kl")?.secondPass, "dropout");
 * assertEquals(compensationRow("l1"), undefined);
 * ```
 */
export function compensationRow(kind: string): CompensationRow | undefined {
  return TABLE.get(kind);
}

/**
 * The row of a kind, or a TypeError `Cannot WHAT: FIELD must be kl, js, … , received "KIND"`.
 *
 * @param kind The kind.
 * @param what The caller, for the message (e.g. "use dropout plan").
 * @param field The field's name in the message (e.g. "consistency kind").
 * @returns The row.
 * @example
 * ```ts
 * import { compensationFor } from "./compensations.ts";
 * import { assertThrows } from "@std/assert";
 * assertThrows(() => compensationFor("l1", "use dropout plan", "consistency kind"), TypeError, "kl, js, js-hiddencut or mse");
 * ```
 */
export function compensationFor(kind: string, what: string, field: string): CompensationRow {
  const row = TABLE.get(kind);
  if (row === undefined) {
    throw new TypeError(
      `Cannot ${what}: ${field} must be ${orList(CONSISTENCY_KINDS)}, received "${kind}"`,
    );
  }
  return row;
}
