// Builds the package once if dist/ is missing (so `npm install && npm start` works on a fresh clone).
import { existsSync } from "node:fs";
import { execSync } from "node:child_process";

const need = ["dist/index.js", "dist/wasmrtc.wasm"].filter((f) => !existsSync(f));
if (need.length) {
  console.log(`building (missing ${need.join(", ")})...`);
  execSync("bash scripts/setup.sh && npm run build", { stdio: "inherit" });
}
