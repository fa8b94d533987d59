// npm run bench:runtimes — the Godot demo (scripts/demo.mjs: two peers on the
// engine over UDP on 127.0.0.1, 16 KiB bulk with backpressure, 100 B round
// trips) in Node, Deno and Bun side by side, several rounds interleaved so a
// busy moment does not favour one runtime; medians and ratios to Node.
//   BENCH_ROUNDS=5 DEMO_MB=32 npm run bench:runtimes
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const demo = join(repo, "scripts/demo.mjs");
if (!existsSync(join(repo, "dist/index.js"))) {
  console.error("bench:runtimes: run `npm run build` first");
  process.exit(1);
}
const deno = join(repo, "node_modules/.bin/deno");
const bun = join(repo, "node_modules/.bin/bun");
const runtimes = [
  { name: "Node", cmd: process.execPath, args: [demo] },
  { name: "Deno (Deno.listenDatagram)", cmd: deno, args: ["run", "-A", "--unstable-net", demo] },
  { name: "Deno (node:dgram)", cmd: deno, args: ["run", "-A", demo] },
  { name: "Deno (node:dgram, node:crypto only)", cmd: deno, args: ["run", "-A", demo], env: { WASMRTC_DENO_CRYPTO: "node" } },
  { name: "Bun", cmd: bun, args: [demo] },
].filter((r) => existsSync(r.cmd));
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const results = new Map(runtimes.map((r) => [r.name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const r of runtimes) {
    process.stdout.write(`round ${round}/${rounds}: ${r.name} … `);
    const p = spawnSync(r.cmd, r.args, {
      cwd: repo, encoding: "utf8", timeout: 180000,
      env: { ...process.env, ...r.env, DEMO_JSON: "1", DEMO_MB: process.env.DEMO_MB ?? "32", DEMO_PINGS: process.env.DEMO_PINGS ?? "1000" },
    });
    const line = (p.stdout ?? "").split("\n").find((l) => l.startsWith("@@DEMO@@"));
    if (!line) {
      console.log(`failed (${p.status}): ${(p.stderr ?? "").slice(-300)}`);
      continue;
    }
    const v = JSON.parse(line.slice(8));
    results.get(r.name).push(v);
    console.log(`${v.mibPerSec.toFixed(1)} MiB/s, RTT ${v.rttMedianUs} µs`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const row = (name) => {
  const vs = results.get(name) ?? [];
  return { setup: median(vs.map((v) => v.setupMs)), mib: median(vs.map((v) => v.mibPerSec)), rtt: median(vs.map((v) => v.rttMedianUs)), p99: median(vs.map((v) => v.rttP99Us)) };
};
const node = row("Node");
console.log(`\nmedians of ${rounds} rounds (${process.env.DEMO_MB ?? 32} MiB bulk, ${process.env.DEMO_PINGS ?? 1000} pings; both peers in one process):`);
console.log("| runtime | setup ms | 16 KiB bulk MiB/s | × Node | RTT median µs | × Node | RTT p99 µs |");
console.log("|---|---|---|---|---|---|---|");
for (const r of runtimes) {
  const x = row(r.name);
  console.log(`| ${r.name} | ${x.setup.toFixed(1)} | ${x.mib.toFixed(1)} | ${(x.mib / node.mib).toFixed(2)} | ${x.rtt} | ${(x.rtt / node.rtt).toFixed(2)} | ${x.p99} |`);
}
