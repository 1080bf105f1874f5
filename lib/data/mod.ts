/**
 * Tasks: the built-in offline text tasks (from npm packages), GLUE TSV/parquet folders, your own
 * CSV/TSV/JSONL files, seeded splits and batching.
 *
 * @example
 * ```ts
 * import { seededSplit } from "@loradrop/core/data";
 * import { assertEquals } from "@std/assert";
 * const [train, dev] = seededSplit(0, 10, [0.8, 0.2]);
 * assertEquals([train!.length, dev!.length], [8, 2]);
 * ```
 *
 * @module
 */
export * from "./example.ts";
export * from "./split.ts";
export * from "./package_files.ts";
export * from "./registry.ts";
export * from "./glue.ts";
export * from "./custom.ts";
export * from "./batches.ts";
