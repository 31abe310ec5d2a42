// Builds the frontend into dist/ (Tauri's frontendDist): static/ copied, src/ compiled by tsc.
// No bundler: the browser loads the ES modules as tsc writes them.

import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
rmSync(dist, { recursive: true, force: true });
cpSync(join(root, "static"), dist, { recursive: true });
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
