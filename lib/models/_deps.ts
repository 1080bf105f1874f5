// The contracts this folder codes against (ARCHITECTURE.md): the dropout operators and LoRA layers.
// One place to adjust if those modules move.
export type { DropContext, DropOptions } from "../dropout/context.ts";
export { dropAttention } from "../dropout/drop_attention.ts";
export { dropKey } from "../dropout/drop_key.ts";
export { dropRepresentation } from "../dropout/drop_representation.ts";
export { linearMatMul } from "../lora/linear_matmul.ts";
export type { LinearWeights, LoraConfig, LoraWeights } from "../lora/lora_linear.ts";
export { loraFusedLinear, loraLinear, loraScale } from "../lora/lora_linear.ts";
