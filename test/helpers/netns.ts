// Runs a Node ESM script inside a fresh private network namespace that has
// only `lo` (and a private PID namespace, so every process the script starts
// ends with it), and collects the JSON result the script prints after a marker
// (see reportResult). TypeScript entry files are bundled first with esbuild
// (packages stay external), so a child can import the source tree like a test.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
export const RESULT_MARKER = "@@RESULT@@";

export interface NetnsResult<T> {
  ok: boolean;
  value?: T;
  error?: string;
  /** Wall time of the whole child run, including namespace setup and bundling. */
  ms: number;
  status: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface NetnsOptions {
  args?: string[];
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Extra Node flags (e.g. --expose-gc). */
  nodeFlags?: string[];
  /** Copy the child's stderr to ours as it comes (also when WASMRTC_NETNS_VERBOSE=1). */
  echoStderr?: boolean;
}

export const canUnshare = (): boolean => existsSync("/usr/bin/unshare") || existsSync("/bin/unshare");

/**
 * Bundles a .ts/.mts entry into build/netns/ (two levels below the repo, so
 * `new URL("../../dist/...", import.meta.url)` fallbacks in the source still
 * point at the repo's dist/). Plain .js/.mjs files are run as they are.
 */
export async function prepareEntry(file: string): Promise<string> {
  const abs = resolve(file);
  if (!/\.m?ts$/.test(abs)) return abs;
  const esbuild = await import("esbuild");
  const outDir = join(repoRoot, "build", "netns");
  mkdirSync(outDir, { recursive: true });
  const tag = createHash("sha256").update(abs).update(String(process.pid)).update(String(Date.now())).digest("hex").slice(0, 10);
  const outfile = join(outDir, `${basename(abs).replace(/\.m?ts$/, "")}-${tag}.mjs`);
  await esbuild.build({
    entryPoints: [abs],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "silent",
  });
  return outfile;
}

/** Runs `file` with Node inside `unshare --net --pid --fork --kill-child --mount-proc`, lo up. */
export async function runNodeInNetns<T>(file: string, opts: NetnsOptions = {}): Promise<NetnsResult<T>> {
  const start = Date.now();
  const entry = await prepareEntry(file);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const argv = [process.execPath, ...(opts.nodeFlags ?? []), entry, ...(opts.args ?? [])].map(quote).join(" ");
  const inner = `ip link set lo up && exec ${argv}`;
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const args = [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
    "sh", "-c", inner];
  const timeoutMs = opts.timeoutMs ?? 60000;
  const echo = opts.echoStderr || process.env.WASMRTC_NETNS_VERBOSE === "1";
  return await new Promise<NetnsResult<T>>((resolveRun) => {
    const child = spawn("unshare", args, {
      cwd: repoRoot,
      env: { ...process.env, ...opts.env, WASMRTC_IN_NETNS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (echo) process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");  // unshare's --kill-child takes the whole PID namespace down with it
    }, timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      if (entry !== resolve(file) && process.env.WASMRTC_NETNS_KEEP !== "1") rmSync(entry, { force: true });  // our bundle
      const ms = Date.now() - start;
      const base = { ms, status, timedOut, stdout, stderr };
      const at = stdout.lastIndexOf(RESULT_MARKER);
      if (at < 0) {
        resolveRun({ ...base, ok: false, error: `no result (status ${status}${timedOut ? `, killed after ${timeoutMs} ms` : ""}): ${stderr.slice(-4000)}${stdout.slice(-2000)}` });
        return;
      }
      const line = stdout.slice(at + RESULT_MARKER.length).split("\n")[0]!;
      try {
        const parsed = JSON.parse(line) as { ok: boolean; value?: T; error?: string };
        resolveRun({ ...base, ...parsed });
      } catch (e) {
        resolveRun({ ...base, ok: false, error: `unparsable result: ${String(e)}` });
      }
    });
  });
}

/**
 * For the child: runs `main`, prints `{ok, value}` or `{ok: false, error}`
 * after the marker, and exits (stacks keep handles open otherwise).
 */
export async function reportResult(main: () => Promise<unknown>): Promise<never> {
  let out: { ok: boolean; value?: unknown; error?: string };
  try {
    out = { ok: true, value: await main() };
  } catch (e) {
    out = { ok: false, error: String((e as { stack?: string })?.stack ?? e) };
  }
  process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(out)}\n`, () => process.exit(0));
  // If stdout never drains, still end.
  setTimeout(() => process.exit(0), 5000).unref();
  return await new Promise<never>(() => {});
}

/** True inside a namespace made by runNodeInNetns (the child checks before opening sockets). */
export const inNetns = (): boolean => process.env.WASMRTC_IN_NETNS === "1";
