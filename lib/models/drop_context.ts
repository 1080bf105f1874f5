/**
 * The adapted modules' names and the per-hook-point key rule, as the models and their importers
 * have always found them here; both live in `lib/dropout/drop_context.ts`.
 *
 * @module
 */
export { dropContextAt, MODULE_NAMES, type ModuleName } from "../dropout/drop_context.ts";
