// npm run endurance — the long runs the CI tests shorten: 10,000 connect/close
// cycles, then an hour of steady traffic at 200 messages/s, with a line per
// minute and a summary (first vs last minute; memory and handles at the end).
//   ENDURANCE_CYCLES=10000 ENDURANCE_SECONDS=3600 ENDURANCE_RATE=200 npm run endurance
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(join(repo, "dist/index.js"))) {
  console.error("endurance: run `npm run build` first");
  process.exit(1);
}
const cycles = Number(process.env.ENDURANCE_CYCLES ?? 10000);
const seconds = Number(process.env.ENDURANCE_SECONDS ?? 3600);
const rate = Number(process.env.ENDURANCE_RATE ?? 200);

function run(script, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", join(repo, script), ...args], { cwd: repo, env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => process.stderr.write(d));
    child.on("exit", (code) => {
      const at = out.lastIndexOf("@@RESULT@@");
      resolve({ code, report: at >= 0 ? JSON.parse(out.slice(at + 10)) : null });
    });
  });
}

console.log(`endurance: ${cycles} connect/close cycles …`);
const c = await run("test/engine/cycles-child.mjs", [String(cycles)]);
if (!c.report) process.exit(1);
const r = c.report;
console.log(`  ${r.cycles} cycles, setup median ${r.medianMs} ms / p99 ${r.p99Ms} ms; heap ${(r.warm.heap / 1e6).toFixed(1)} MB after warm-up → ${(r.end.heap / 1e6).toFixed(1)} MB; wasm ${r.warm.wasm / 1048576} → ${r.end.wasm / 1048576} MiB; handles ${r.baseline.handles} → ${r.end.handles}; endpoints ${r.end.endpoints}; exit ${c.code === 0 ? "by itself" : c.code}`);
console.log(`endurance: ${seconds} s of steady traffic at ${rate} messages/s (a line per minute) …`);
const s = await run("test/engine/steady-child.mjs", [String(seconds), String(rate), "60"], { STEADY_PROGRESS: "1" });
if (!s.report) process.exit(1);
const w = s.report.windows;
const first = w[0];
const last = w[w.length - 1];
console.log("| | first minute | last minute |");
console.log("|---|---|---|");
console.log(`| RTT p50 / p99 µs | ${first.p50Us} / ${first.p99Us} | ${last.p50Us} / ${last.p99Us} |`);
console.log(`| heap MB | ${(first.heap / 1e6).toFixed(1)} | ${(last.heap / 1e6).toFixed(1)} |`);
console.log(`| wasm MiB | ${first.wasm / 1048576} | ${last.wasm / 1048576} |`);
console.log(`corrupt or unknown echoes: ${s.report.bad}; at the end: handles ${s.report.baseline.handles} → ${s.report.end.handles}, endpoints ${s.report.end.endpoints}; exit ${s.code === 0 ? "by itself" : s.code}`);
