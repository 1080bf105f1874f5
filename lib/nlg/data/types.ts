/**
 * Data-to-text examples shared by the E2E and WebNLG loaders.
 *
 * @module
 */

/** One E2E input with all of its references (the challenge's rows grouped by MR). */
export interface E2eExample {
  /** The meaning representation as in the files, `name[The Eagle], eatType[pub], …`. */
  readonly mr: string;
  /** Human references for this MR (empty for the challenge's `testset.csv`, which has no `ref`). */
  readonly references: readonly string[];
}

/** One RDF triple of a WebNLG entry (`mtriple`: `subject | property | object`). */
export interface Triple {
  /** Subject, e.g. `Aarhus_Airport`. */
  readonly subject: string;
  /** Property, e.g. `cityServed`. */
  readonly property: string;
  /** Object, e.g. `"Aarhus, Denmark"`. */
  readonly object: string;
}

/** One WebNLG entry: a triple set, its lexicalisations, its category. */
export interface WebNlgEntry {
  /** The entry id (`eid`), e.g. `Id1`. */
  readonly eid: string;
  /** DBpedia category, e.g. `Airport`. */
  readonly category: string;
  /** The modified triple set (`modifiedtripleset/mtriple`). */
  readonly triples: readonly Triple[];
  /** Lexicalisation texts (`lex`); by default only those with `comment="good"` or no comment. */
  readonly references: readonly string[];
  /** Whether the category is one of the 10 seen in training (WebNLG 2017), see `WEBNLG_SEEN_CATEGORIES`. */
  readonly seen: boolean;
}
