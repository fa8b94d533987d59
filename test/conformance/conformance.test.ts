// The conformance suite (dist/conformance.js, one file) runs unchanged in Node,
// Deno, Bun, a Chromium page, a Chromium worker and a Firefox ESR page, and
// every runtime's trace digest is the same; another seed gives other traces.
// Browsers run inside a private network namespace (loopback only).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { canUnshare, repoRoot, runNodeInNetns } from "../helpers/netns.js";

const CLI = resolve(repoRoot, "dist/conformance-cli.js");
interface Out {
  reports: Array<{ runtime: string; report: { ok: boolean; digest: string; seed: string; scenarios: Array<{ name: string; ok: boolean; failed: string[]; digest: string; checks: number }> } }>;
  identical: boolean;
  ok: boolean;
}

const run = async (args: string[]) => {
  const r = await runNodeInNetns<Out>(CLI, { args: [...args, "--json"], timeoutMs: 240000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{\"reports\""));
  if (!line) throw new Error(`no JSON from the CLI (status ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Out;
};

describe.runIf(existsSync(CLI) && canUnshare())("conformance suite", () => {
  it("passes in all six runtimes with one identical digest", async () => {
    const haveBrowsers = existsSync("/usr/bin/chromium") && existsSync("/usr/bin/firefox-esr");
    const out = await run(["--runtime", "all", "--seed", "1"]);
    const names = out.reports.map((r) => r.runtime);
    expect(names).toEqual(["node", "deno", "bun", "chromium", "chromium-worker", "firefox"].filter((n) => haveBrowsers || !n.startsWith("c") && n !== "firefox"));
    for (const { runtime, report } of out.reports) {
      for (const s of report.scenarios) expect(s.failed, `${runtime} ${s.name}`).toEqual([]);
      expect(report.ok, runtime).toBe(true);
      expect(report.scenarios.length).toBeGreaterThanOrEqual(24);
    }
    const digests = new Set(out.reports.map((r) => r.report.digest));
    expect(digests.size, JSON.stringify(out.reports.map((r) => [r.runtime, r.report.digest]))).toBe(1);
    // Per scenario too (a difference names the scenario).
    const first = out.reports[0]!.report.scenarios;
    for (const { runtime, report } of out.reports) {
      report.scenarios.forEach((s, i) => expect(s.digest, `${runtime} ${s.name}`).toBe(first[i]!.digest));
    }
    expect(out.identical).toBe(true);
    console.log(`conformance: ${first.length} scenarios, digest ${[...digests][0]} in ${names.join(", ")}`);
  }, 250000);

  it("another seed gives another trace, and the same seed the same one", async () => {
    const a = await run(["--runtime", "node", "--seed", "1"]);
    const b = await run(["--runtime", "node", "--seed", "2"]);
    const c = await run(["--runtime", "node", "--seed", "2"]);
    const sa = a.reports[0]!.report.scenarios;
    const sb = b.reports[0]!.report.scenarios;
    expect(b.reports[0]!.report.ok).toBe(true);
    expect(b.reports[0]!.report.digest).not.toBe(a.reports[0]!.report.digest);
    // Every scenario's trace depends on the seed (credentials, keys, tags and the network's randomness all change).
    sa.forEach((s, i) => expect(sb[i]!.digest, s.name).not.toBe(s.digest));
    expect(c.reports[0]!.report.digest).toBe(b.reports[0]!.report.digest);
  }, 120000);
});
