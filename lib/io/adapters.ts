/**
 * LoRA adapters in PEFT's format: `adapter_model.safetensors` + `adapter_config.json`, so an
 * adapter trained with loradrop loads in PEFT and the other way round. Writing is in
 * `adapter_save.ts`, strict reading in `adapter_load.ts` (a `target_modules` regex is matched in
 * linear time by `adapter_target_regex.ts`), copying into a task model in `adapter_assign.ts`, and
 * a trained run's adapter with its metadata (task labels, dropout plan, seeds) in
 * `adapter_export.ts`.
 *
 * @module
 */
export type { AdapterModelType, PeftTaskType } from "./_adapter_naming.ts";
export {
  type AdapterContents,
  saveAdapter,
  type SaveAdapterOptions,
  taskModelAdapter,
} from "./adapter_save.ts";
export {
  type AdapterBase,
  type AdapterSettings,
  loadAdapter,
  type LoadAdapterExpect,
  type LoadedAdapter,
} from "./adapter_load.ts";
export { assignAdapter } from "./adapter_assign.ts";
export { compileTargetRegex, type TargetRegex } from "./adapter_target_regex.ts";
export { hfClassificationHead, type HfHeadOptions } from "./adapter_hf_head.ts";
export {
  ADAPTER_METADATA_FILE,
  readAdapterMetadata,
  saveTrainedAdapter,
  type SaveTrainedAdapterOptions,
  type TrainedAdapterMetadata,
  type TrainedBaseType,
} from "./adapter_export.ts";
