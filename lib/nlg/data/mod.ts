/**
 * NLG data: E2E (CSV, parquet) and WebNLG (XML) loaders, microsoft/LoRA's linearisation of MRs and
 * triples into prompts, and a seeded offline E2E-style data set.
 *
 * @module
 */
export * from "./types.ts";
export * from "./mr.ts";
export * from "./e2e.ts";
export * from "./webnlg.ts";
export * from "./linearize.ts";
export * from "./e2e_synthetic.ts";
