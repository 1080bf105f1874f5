/**
 * An offline, seeded E2E-style data-to-text set: meaning representations over E2E's 8 attributes
 * with several human-like references each, for tests and small runs without the real dataset.
 *
 * @module
 */
import { foldIn, type RandomKey, uniform } from "../../random.ts";
import { formatMr, type MrSlot } from "./mr.ts";
import type { E2eExample } from "./types.ts";

/** Values per E2E attribute (the value sets of the real E2E data, `customer rating` as written there). */
export const E2E_VALUES: Readonly<Record<string, readonly string[]>> = {
  name: [
    "The Eagle",
    "The Mill",
    "Aromi",
    "Alimentum",
    "Bibimbap House",
    "Blue Spice",
    "Browns Cambridge",
    "Clowns",
    "Cocum",
    "Cotto",
    "Fitzbillies",
    "Giraffe",
    "Green Man",
    "Loch Fyne",
    "Midsummer House",
    "Strada",
    "Taste of Cambridge",
    "The Cambridge Blue",
    "The Cricketers",
    "The Dumpling Tree",
    "The Golden Curry",
    "The Golden Palace",
    "The Olive Grove",
    "The Phoenix",
    "The Plough",
    "The Punter",
    "The Rice Boat",
    "The Twenty Two",
    "The Vaults",
    "The Waterman",
    "Wildwood",
    "Zizzi",
  ],
  eatType: ["coffee shop", "pub", "restaurant"],
  food: ["Chinese", "English", "Fast food", "French", "Indian", "Italian", "Japanese"],
  priceRange: ["cheap", "less than £20", "£20-25", "moderate", "high", "more than £30"],
  "customer rating": ["1 out of 5", "3 out of 5", "5 out of 5", "low", "average", "high"],
  area: ["city centre", "riverside"],
  familyFriendly: ["yes", "no"],
  near: [
    "All Bar One",
    "Avalon",
    "Burger King",
    "Café Adriatic",
    "Café Brazil",
    "Café Rouge",
    "Café Sicilia",
    "Clare Hall",
    "Crowne Plaza Hotel",
    "Express by Holiday Inn",
    "Rainbow Vegetarian Café",
    "Raja Indian Cuisine",
    "Ranch",
    "The Bakers",
    "The Portland Arms",
    "The Sorrento",
    "Yippee Noodle Bar",
  ],
};

/** E2E's attribute order in MRs. */
export const E2E_ATTRIBUTES: readonly string[] = Object.keys(E2E_VALUES);

interface Pool {
  readonly train: readonly string[];
  /** Realisations that appear only in the test split's references. */
  readonly heldOut: readonly string[];
}

// Predicate realisations ("{v}" is the value); all read as third-person predicates of the venue.
const CLAUSES: Readonly<Record<string, Pool>> = {
  food: {
    train: ["serves {v} food", "offers {v} cuisine", "has {v} dishes on the menu"],
    heldOut: ["specialises in {v} meals"],
  },
  priceRange: {
    train: ["has a {v} price range", "is in the {v} price range", "charges prices that are {v}"],
    heldOut: ["keeps its prices {v}"],
  },
  "customer rating": {
    train: ["is rated {v}", "has a customer rating of {v}", "has received a {v} rating"],
    heldOut: ["is scored {v} by its customers"],
  },
  area: {
    train: ["is in the {v} area", "is located in the {v}", "can be found in the {v}"],
    heldOut: ["sits in the {v} part of town"],
  },
  near: {
    train: ["is near {v}", "is close to {v}", "is located near {v}"],
    heldOut: ["is a short walk from {v}"],
  },
};
const FAMILY: Readonly<Record<string, Pool>> = {
  yes: {
    train: ["is family friendly", "welcomes children", "is kid friendly"],
    heldOut: ["is a good choice for families"],
  },
  no: {
    train: ["is not family friendly", "does not welcome children", "is not kid friendly"],
    heldOut: ["is best avoided with small kids"],
  },
};
// Sentence frames: {name}, {type}, {rest} (the joined predicates).
const OPENINGS: Pool = {
  train: [
    "{name} is a {type} that {rest}.",
    "There is a {type} named {name} which {rest}.",
    "{name}, a {type}, {rest}.",
  ],
  heldOut: ["Known as {name}, this {type} {rest}."],
};
const OPENINGS_NO_TYPE: Pool = {
  train: ["{name} {rest}.", "The place called {name} {rest}.", "{name} is a venue that {rest}."],
  heldOut: ["Known as {name}, this venue {rest}."],
};

/** Options of {@linkcode generateE2eStyle}. */
export interface E2eStyleOptions {
  /** Distinct MRs per split; 200 / 40 / 40 by default. */
  readonly sizes?: {
    readonly train?: number;
    readonly validation?: number;
    readonly test?: number;
  };
  /** References per MR in train/validation, 3 by default. */
  readonly references?: number;
  /** References per MR in test, 5 by default (E2E's test set has several per MR). */
  readonly testReferences?: number;
}

/** The three splits of {@linkcode generateE2eStyle}. */
export interface E2eStyleSplits {
  /** Training MRs with references from the training realisations. */
  readonly train: E2eExample[];
  /** Validation MRs, same realisations as training. */
  readonly validation: E2eExample[];
  /** Test MRs (none seen in train/validation); references also use held-out realisations. */
  readonly test: E2eExample[];
}

/** A deterministic stream of uniforms from a key. */
class Draws {
  #u: Float32Array;
  #i = 0;
  #key: RandomKey;
  #block = 0;
  constructor(key: RandomKey) {
    this.#key = key;
    this.#u = uniform(foldIn(key, 0), 64);
  }
  next(): number {
    if (this.#i === this.#u.length) {
      this.#u = uniform(foldIn(this.#key, ++this.#block), 64);
      this.#i = 0;
    }
    return this.#u[this.#i++]!;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.min(xs.length - 1, Math.floor(this.next() * xs.length))]!;
  }
}

function drawMr(d: Draws): MrSlot[] {
  const slots: MrSlot[] = [{ attribute: "name", value: d.pick(E2E_VALUES.name!) }];
  const others = E2E_ATTRIBUTES.slice(1);
  const chosen = others.filter(() => d.next() < 0.55);
  while (chosen.filter((a) => a !== "eatType").length < 2) {
    const a = d.pick(others.filter((x) => x !== "eatType" && !chosen.includes(x)));
    chosen.push(a);
  }
  for (const a of others) {
    if (chosen.includes(a)) slots.push({ attribute: a, value: d.pick(E2E_VALUES[a]!) });
  }
  return slots;
}

function realise(slots: readonly MrSlot[], d: Draws, test: boolean, forceHeldOut: boolean): string {
  const from = (p: Pool) =>
    forceHeldOut ? d.pick(p.heldOut) : d.pick(test ? [...p.train, ...p.heldOut] : p.train);
  const get = (a: string) => slots.find((s) => s.attribute === a)?.value;
  const clauses: string[] = [];
  for (const s of slots) {
    if (s.attribute === "name" || s.attribute === "eatType") continue;
    const pool = s.attribute === "familyFriendly" ? FAMILY[s.value]! : CLAUSES[s.attribute]!;
    const value = s.attribute === "food" && s.value === "Fast food" ? "fast" : s.value;
    clauses.push(from(pool).replace("{v}", value));
  }
  // Shuffle the predicates (Fisher-Yates on the draw stream).
  for (let i = clauses.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(d.next() * (i + 1)));
    [clauses[i], clauses[j]] = [clauses[j]!, clauses[i]!];
  }
  const rest = clauses.length === 1
    ? clauses[0]!
    : `${clauses.slice(0, -1).join(", ")} and ${clauses[clauses.length - 1]}`;
  const type = get("eatType");
  const frame = from(type === undefined ? OPENINGS_NO_TYPE : OPENINGS);
  const text = frame.replace("{name}", get("name")!).replace("{type}", type ?? "").replace(
    "{rest}",
    rest,
  );
  return text[0]!.toUpperCase() + text.slice(1);
}

/**
 * Generates E2E-style splits from a key: MRs over the 8 E2E attributes (name always, 2-7 others),
 * written as E2E does (`name[The Eagle], eatType[coffee shop], customer rating[5 out of 5], …`),
 * each with several distinct references built from per-attribute realisations (3 per attribute
 * value kind for training) in shuffled order and one of several sentence frames. The test split's
 * MRs are new combinations, and its references also use one held-out realisation per attribute and
 * a held-out frame (its first reference uses only held-out ones), so test scores measure
 * generalisation to unseen phrasings, not recall of training sentences.
 *
 * @param key The random key (same key, same data).
 * @param options Split sizes and references per MR.
 * @returns Train, validation and test examples.
 * @example
 * ```ts
 * import { generateE2eStyle } from "@loradrop/core/nlg";
 * import { randomKey } from "@loradrop/core";
 * import { assert, assertEquals } from "@std/assert";
 * const d = generateE2eStyle(randomKey(0), { sizes: { train: 5, validation: 2, test: 2 } });
 * assertEquals(d.train.length, 5);
 * assert(d.test[0]!.mr.startsWith("name["));
 * assertEquals(d.test[0]!.references.length, 5);
 * ```
 */
export function generateE2eStyle(key: RandomKey, options: E2eStyleOptions = {}): E2eStyleSplits {
  const sizes = {
    train: options.sizes?.train ?? 200,
    validation: options.sizes?.validation ?? 40,
    test: options.sizes?.test ?? 40,
  };
  const refs = options.references ?? 3;
  const testRefs = options.testReferences ?? 5;
  const checks: [string, number, number][] = [
    ["sizes.train", sizes.train, 0],
    ["sizes.validation", sizes.validation, 0],
    ["sizes.test", sizes.test, 0],
    ["references", refs, 1],
    ["testReferences", testRefs, 1],
  ];
  for (const [name, v, min] of checks) {
    if (!Number.isInteger(v) || v < min || v > 100_000) {
      throw new RangeError(
        `Cannot generate E2E-style data: ${name} must be an integer in [${min}, 100000], received ${
          String(v)
        }`,
      );
    }
  }
  const seen = new Set<string>();
  const split = (which: number, n: number, test: boolean, perMr: number): E2eExample[] => {
    const out: E2eExample[] = [];
    const d = new Draws(foldIn(key, which));
    for (let attempt = 0; out.length < n; attempt++) {
      if (attempt > 50 * n + 1000) {
        throw new RangeError(`Cannot generate E2E-style data: could not draw ${n} distinct MRs`);
      }
      const slots = drawMr(d);
      const mr = formatMr(slots);
      if (seen.has(mr)) continue;
      seen.add(mr);
      const references: string[] = [];
      for (let r = 0; references.length < perMr && r < perMr * 20; r++) {
        const text = realise(slots, d, test, test && references.length === 0);
        if (!references.includes(text)) references.push(text);
      }
      out.push({ mr, references });
    }
    return out;
  };
  const train = split(1, sizes.train, false, refs);
  const validation = split(2, sizes.validation, false, refs);
  const test = split(3, sizes.test, true, testRefs);
  return { train, validation, test };
}

/**
 * The realisation templates that only the test split uses (for tests and data cards).
 *
 * @returns The held-out templates, with `{v}`, `{name}`, `{type}`, `{rest}` placeholders.
 * @example
 * ```ts
 * import { heldOutTemplates } from "@loradrop/core/nlg";
 * import { assert } from "@std/assert";
 * assert(heldOutTemplates().some((t) => t.includes("{v}")));
 * ```
 */
export function heldOutTemplates(): string[] {
  return [
    ...Object.values(CLAUSES).flatMap((p) => p.heldOut),
    ...Object.values(FAMILY).flatMap((p) => p.heldOut),
    ...OPENINGS.heldOut,
    ...OPENINGS_NO_TYPE.heldOut,
  ];
}
