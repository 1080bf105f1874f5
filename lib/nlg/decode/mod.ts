/**
 * Decoding for the NLG track: greedy and beam search over a model step function.
 *
 * @module
 */
export * from "./types.ts";
export * from "./greedy.ts";
export * from "./beam.ts";
export * from "./lm_step.ts";
