// Runs the conformance scenarios and reports, per scenario, whether its checks
// held and the digest of its trace; the run's digest combines them. The same
// code runs in every runtime: the caller brings the compiled module and,
// optionally, faster deterministic primitives than @noble's.
import { NobleCryptoProvider } from "../crypto/noble.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";
import { combineDigests } from "./trace.js";
import { World } from "./world.js";

export interface ConformanceOptions {
  module: WebAssembly.Module;
  seed?: string | number;
  baseCrypto?: () => CryptoProvider;
  /** Scenario names (or prefixes ending in "/") to run; default all. */
  only?: string[];
  /** Keep every trace line (for diffing two runtimes); default off. */
  keepLines?: boolean;
  onScenario?: (r: ScenarioResult) => void;
}

export interface ScenarioResult {
  name: string;
  ok: boolean;
  failed: string[];
  checks: number;
  digest: string;
  events: number;
  datagrams: number;
  virtualMs: number;
  /** Wall time (not part of any digest). */
  wallMs: number;
  lines?: string[];
}

export interface ConformanceReport {
  seed: string;
  scenarios: ScenarioResult[];
  ok: boolean;
  digest: string;
}

export const scenarioNames = (): string[] => SCENARIOS.map((s) => s.name);

const selected = (s: Scenario, only?: string[]) =>
  !only || only.length === 0 || only.some((o) => (o.endsWith("/") ? s.name.startsWith(o) : s.name === o));

export async function runConformance(o: ConformanceOptions): Promise<ConformanceReport> {
  const seed = String(o.seed ?? 1);
  const baseCrypto = o.baseCrypto ?? (() => new NobleCryptoProvider());
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS.filter((x) => selected(x, o.only))) {
    const t0 = performance.now();
    const w = new World({ module: o.module, seed, baseCrypto, keepLines: o.keepLines }, s.name, s.link);
    let crashed = "";
    await w.run(async (world) => {
      try {
        await s.body(world);
      } catch (e) {
        crashed = String((e as Error)?.message ?? e);
        world.trace.add(`scenario threw: ${crashed}`);
      }
    });
    const failed = w.checks.filter((c) => !c.ok).map((c) => c.what);
    if (crashed) failed.push(`threw: ${crashed}`);
    const r: ScenarioResult = {
      name: s.name, ok: failed.length === 0 && w.checks.length > 0, failed, checks: w.checks.length, digest: w.trace.digest(),
      events: w.trace.count, datagrams: w.trace.datagrams, virtualMs: w.clock.now(), wallMs: performance.now() - t0,
      lines: w.trace.lines ?? undefined,
    };
    results.push(r);
    o.onScenario?.(r);
  }
  return { seed, scenarios: results, ok: results.every((r) => r.ok), digest: combineDigests(results) };
}

/** The per-scenario table the CLI prints. */
export function formatReport(r: ConformanceReport, runtime = ""): string {
  const rows = r.scenarios.map((s) =>
    `| ${s.name} | ${s.ok ? "ok" : "FAILED: " + s.failed.join("; ")} | ${s.checks} | ${s.datagrams} | ${(s.virtualMs / 1000).toFixed(1)} s | ${s.wallMs.toFixed(0)} ms | ${s.digest.slice(0, 16)} |`);
  return [
    `conformance${runtime ? ` in ${runtime}` : ""}, seed ${r.seed}: ${r.scenarios.filter((s) => s.ok).length}/${r.scenarios.length} scenarios ok`,
    "| scenario | result | checks | datagrams | virtual time | wall | trace digest |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    `digest ${r.digest}`,
  ].join("\n");
}
