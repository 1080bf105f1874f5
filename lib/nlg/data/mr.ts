/**
 * E2E meaning representations: `name[The Eagle], eatType[coffee shop], customer rating[5 out of 5]`.
 *
 * @module
 */

/** One attribute-value pair of a meaning representation, in its E2E surface form. */
export interface MrSlot {
  /** The attribute as written in E2E files: `name`, `eatType`, `food`, `priceRange`, `customer rating`, `area`, `familyFriendly`, `near`. */
  readonly attribute: string;
  /** The value, e.g. `The Eagle`, `£20-25`, `yes`. */
  readonly value: string;
}

/**
 * Parses an E2E meaning representation into its slots, in order.
 *
 * @param mr The MR text, `attr[value], attr[value], …`.
 * @returns The slots.
 * @example
 * ```ts
 * import { parseMr } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * assertEquals(parseMr("name[The Eagle], customer rating[5 out of 5]"), [
 *   { attribute: "name", value: "The Eagle" },
 *   { attribute: "customer rating", value: "5 out of 5" },
 * ]);
 * ```
 */
export function parseMr(mr: string): MrSlot[] {
  if (typeof mr !== "string") {
    throw new TypeError(
      `Cannot parse a meaning representation: expected a string, received ${String(mr)}`,
    );
  }
  const slots: MrSlot[] = [];
  const re = /\s*([^[\],]+?)\s*\[([^\]]*)\]\s*(,|$)/y;
  let at = 0;
  while (at < mr.length) {
    re.lastIndex = at;
    const m = re.exec(mr);
    if (m === null) {
      throw new RangeError(
        `Cannot parse a meaning representation: expected "attribute[value]" at character ${at}, received "${mr}"`,
      );
    }
    slots.push({ attribute: m[1]!, value: m[2]!.trim() });
    at = re.lastIndex;
    if (m[3] === "") break;
  }
  if (slots.length === 0) {
    throw new RangeError(`Cannot parse a meaning representation: no slot in "${mr}"`);
  }
  return slots;
}

/**
 * Formats slots as an E2E meaning representation (the inverse of {@linkcode parseMr}).
 *
 * @param slots The slots, in order.
 * @returns `attr[value], attr[value], …`.
 * @example
 * ```ts
 * import { formatMr, parseMr } from "@loradrop/core/nlg";
 * import { assertEquals } from "@std/assert";
 * const mr = "name[Aromi], eatType[pub], familyFriendly[yes]";
 * assertEquals(formatMr(parseMr(mr)), mr);
 * ```
 */
export function formatMr(slots: readonly MrSlot[]): string {
  return slots.map((s) => `${s.attribute}[${s.value}]`).join(", ");
}
