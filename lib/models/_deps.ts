// The contracts this folder codes against (ARCHITECTURE.md): the dropout operators and LoRA layers.
// One place to adjust if those modules move.
export type { DropContext, DropOptions } from "../dropout/context.ts";
export { dropContextAt, MODULE_NAMES, type ModuleName } from "../dropout/drop_context.ts";
export { dropAttention } from "../dropout/drop_attention.ts";
export { dropKey } from "../dropout/drop_key.ts";
export { dropRepresentation } from "../dropout/drop_representation.ts";
export { linearMatMul } from "../lora/linear_matmul.ts";
export type { LinearWeights, LoraVariables, LoraWeights } from "../lora/weights.ts";
export type { LoraConfig } from "../lora/config.ts";
export { loraScale, validateLoraConfig } from "../lora/config.ts";
export { initLora } from "../lora/init.ts";
export { loraLinear, type LoraLinearOptions } from "../lora/lora_linear.ts";
export { loraFusedLinear } from "../lora/fused_linear.ts";
