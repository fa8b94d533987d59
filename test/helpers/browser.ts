// Runs a script in a real browser inside a private network namespace that has
// only `lo`, against the package's browser build in dist/: Debian's Chromium
// (playwright-core, chromium-runner.mjs) or Debian's Firefox ESR (puppeteer-core
// over WebDriver BiDi, firefox-runner.mjs). The script runs in the page or,
// with { worker: true }, in a dedicated module worker the page starts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "../..");

export const haveChromium = (): boolean => existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium");
export const haveFirefox = (): boolean => existsSync(process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr");

export interface BrowserResult<T> {
  ok: boolean;
  value?: T;
  error?: string;
  logs?: string[];
  /** Wall time of the whole run: namespace, browser start, page, script, browser exit. */
  ms: number;
}

export interface BrowserRunOptions {
  /** Bound on the whole run; the namespace (browser included) is killed after it. */
  timeoutMs?: number;
  /** Run the script in a dedicated module worker (`new Worker(url, { type: "module" })`) instead of the page. */
  worker?: boolean;
}

/**
 * `script` is the body of an async function in the page (or worker); `wasmrtc`
 * is the imported browser build; its return value must survive JSON (and, in
 * a worker, structured clone). `runInChromium(script, timeoutMs)` still works.
 */
export function runInChromium<T>(script: string, options: number | BrowserRunOptions = {}): BrowserResult<T> {
  return runInNamespace<T>("chromium-runner.mjs", script, withDefaults(options, 90000));
}

/** The same in Debian's Firefox ESR (its first start on a fresh profile can take a while: 120 s by default). */
export function runInFirefox<T>(script: string, options: number | BrowserRunOptions = {}): BrowserResult<T> {
  return runInNamespace<T>("firefox-runner.mjs", script, withDefaults(options, 120000));
}

const withDefaults = (options: number | BrowserRunOptions, timeoutMs: number): Required<BrowserRunOptions> =>
  typeof options === "number" ? { timeoutMs: options, worker: false } : { timeoutMs, worker: false, ...options };

function runInNamespace<T>(runner: string, script: string, { timeoutMs, worker }: Required<BrowserRunOptions>): BrowserResult<T> {
  const dir = mkdtempSync(join(tmpdir(), "wasmrtc-page-"));
  try {
    const file = join(dir, "script.js");
    writeFileSync(file, script);
    // The browser's temporary profile (and Firefox's temporary HOME) go under
    // dir, so they are removed below even when the run is killed.
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const inner = `ip link set lo up && exec "${process.execPath}" "${join(repo, "test/helpers", runner)}" "${join(repo, "dist")}" "${file}"${worker ? " worker" : ""}`;
    const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
    const args = [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
      "sh", "-c", inner];
    const start = Date.now();
    // SIGKILL: with --fork, unshare blocks SIGTERM until its child ends; killed,
    // it takes its child (PID 1 of the namespace, --kill-child) and so every
    // process in the namespace with it.
    const r = spawnSync("unshare", args, {
      encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 << 20, cwd: repo,
      env: { ...process.env, TMPDIR: tmp },
    });
    const ms = Date.now() - start;
    const marker = r.stdout?.lastIndexOf("@@RESULT@@") ?? -1;
    if (marker < 0) {
      const why = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT" ? `timed out after ${timeoutMs} ms` : `status ${r.status}`;
      return { ok: false, error: `no result (${why}): ${r.stderr}${r.stdout}`, ms };
    }
    return { ...JSON.parse(r.stdout.slice(marker + 10).trim()), ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
