/**
 * Installs what the notebook pipeline and the browser check use, into the repository's `.cache/`
 * (and chromium with apt): `deno task setup:jupyter`. Each step says what it installs; present
 * pieces are kept.
 *
 * @module
 */
import { ensureChromium, ensureJupyter } from "./_jupyter_setup.ts";

if (import.meta.main) {
  try {
    const tools = await ensureJupyter(true, (line) => console.log(`setup: ${line}`));
    const browser = await ensureChromium(true, (line) => console.log(`setup: ${line}`));
    console.log(`setup: ${tools.jupyter}, the Deno kernelspec and ${browser} are ready`);
  } catch (error) {
    console.error(`setup: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
