/**
 * `deno task pretrain [--preset smoke|default] [--backend wasm|cpu|…] [--force]`: pretrains
 * loradrop's small decoder on the npm corpus (or reuses the cached one) and prints its folder
 * and validation perplexity. Rerunning after a kill resumes from the last checkpoint.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import { PRETRAIN_PRESETS, pretrainDecoder } from "../lib/nlg/pretrain/mod.ts";
import * as tf from "@tensorflow/tfjs-core";

const USAGE = "Usage: deno task pretrain [--preset smoke|default] [--backend wasm|cpu] [--force]";

/**
 * Runs the command line.
 *
 * @param args The arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        preset: { type: "string", default: "default" },
        backend: { type: "string", default: "wasm" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!(values.preset in PRETRAIN_PRESETS)) {
    console.error(
      `Unknown preset "${values.preset}": expected ${
        Object.keys(PRETRAIN_PRESETS).join(" or ")
      }\n${USAGE}`,
    );
    return 2;
  }
  await initBackend({ backend: parseBackendName(values.backend) });
  const result = await pretrainDecoder({
    preset: values.preset as keyof typeof PRETRAIN_PRESETS,
    force: values.force,
    log: (m) => console.error(m),
  });
  const info = result.info;
  console.log(`decoder: ${result.dir} (${result.status})`);
  if (info !== undefined) {
    console.log(
      `validation perplexity ${
        info.validationPerplexity.toFixed(2)
      } after ${info.loss.length} steps; ` +
        `${info.tokensPerSecond.toFixed(0)} tokens/s on ${info.backend}`,
    );
  }
  tf.dispose(result.model.weights as unknown as tf.TensorContainer);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
