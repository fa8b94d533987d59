// Runs a script in Debian's Chromium (playwright-core) inside a private network
// namespace that has only `lo`, against the package's browser build in dist/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "../..");

export const haveChromium = (): boolean => existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium");

export interface BrowserResult<T> {
  ok: boolean;
  value?: T;
  error?: string;
  logs?: string[];
  ms: number;
}

/** `script` is the body of an async function in the page; `wasmrtc` is the imported browser build. */
export function runInChromium<T>(script: string, timeoutMs = 90000): BrowserResult<T> {
  const dir = mkdtempSync(join(tmpdir(), "wasmrtc-page-"));
  const file = join(dir, "script.js");
  writeFileSync(file, script);
  const runner = join(repo, "test/helpers/chromium-runner.mjs");
  const inner = `ip link set lo up && exec "${process.execPath}" "${runner}" "${join(repo, "dist")}" "${file}"`;
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const args = [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
    "sh", "-c", inner];
  const start = Date.now();
  const r = spawnSync("unshare", args, { encoding: "utf8", timeout: timeoutMs, cwd: repo, env: { ...process.env } });
  const ms = Date.now() - start;
  rmSync(dir, { recursive: true, force: true });
  const marker = r.stdout?.lastIndexOf("@@RESULT@@") ?? -1;
  if (marker < 0) return { ok: false, error: `no result (status ${r.status}): ${r.stderr}${r.stdout}`, ms };
  return { ...JSON.parse(r.stdout.slice(marker + 10).trim()), ms };
}
