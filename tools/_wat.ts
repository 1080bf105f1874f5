// Assembling WebAssembly text with wabt (private helper of tools/build_wasm_kernels.ts and its test).
import wabtInit from "wabt";

/**
 * Assembles WebAssembly text (with SIMD and shared memories) into a binary module.
 *
 * @param text The `.wat` source.
 * @param name The source's name, for error messages.
 * @returns The module's bytes.
 */
export async function assembleWat(text: string, name: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat(name, text, { simd: true, threads: true });
  try {
    parsed.resolveNames();
    const bytes = new Uint8Array(parsed.toBinary({ log: false, write_debug_names: false }).buffer);
    // V8 validates (wabt.js's own validator rejects shared memories whatever the features say).
    try {
      new WebAssembly.Module(bytes);
    } catch (error) {
      throw new Error(`Cannot assemble ${name}: ${(error as Error).message}`);
    }
    return bytes;
  } finally {
    parsed.destroy();
  }
}
