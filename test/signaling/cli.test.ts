// `wasmrtc-signaling` (dist/signaling-cli.js, built by `npm run build:ts`) as
// an operator runs it: --help names every option, mistakes exit 2 with a
// message, an unreachable Redis is an error at start, and a server on --port 0
// prints its URL, runs a lobby and exits 0 on SIGTERM after closing its clients with 1001.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, RawPeer, assertCliFresh, freeTcpPort, spawnCli, type CliProcess } from "./helpers.js";

beforeAll(() => assertCliFresh());
const procs: CliProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill();
});
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 10000, env: { ...process.env, WASMRTC_SIGNALING_REDIS: "" } });

describe("wasmrtc-signaling", () => {
  it("--help exits 0 and names every option cli.ts accepts, with the demo's defaults", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    const source = readFileSync(join(ROOT, "src/signaling/cli.ts"), "utf8");
    const block = /parseArgs\(\{\s*options:\s*\{([\s\S]*?)\},\s*strict/.exec(source)?.[1] ?? "";
    const names = [...block.matchAll(/"?([a-z][a-z-]*)"?:\s*\{\s*type:/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(r.stdout, `--${n} missing from --help`).toMatch(new RegExp(`--${n}\\b`));
    expect(r.stdout).toMatch(/-h, --help/);
    for (const d of ["default 9080", "default 4096", "default 1024", "default 1000)", "default 10000"]) expect(r.stdout).toContain(d);
  });

  it("mistakes exit 2 and say what is wrong; an unreachable Redis too", async () => {
    const bad = run(["--no-such-option"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no-such-option/);
    expect(bad.stderr).toMatch(/--help/);
    const nan = run(["--max-peers", "many"]);
    expect(nan.status).toBe(2);
    expect(nan.stderr).toMatch(/--max-peers needs a non-negative number, got 'many'/);
    const zero = run(["--port", "0", "--max-lobbies", "0"]);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/`maxLobbies` must be a positive number/);
    const announce = run(["--client-server-announce", "some"]);
    expect(announce.status).toBe(2);
    expect(announce.stderr).toMatch(/host or all/);
    const port = await freeTcpPort();
    const noRedis = run(["--port", "0", "--host", "127.0.0.1", "--redis", `redis://127.0.0.1:${port}`]);
    expect(noRedis.status).toBe(2);
    expect(noRedis.stderr).toMatch(new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`));
    const notUrl = run(["--redis", "localhost:6379"]);
    expect(notUrl.status).toBe(2);
    expect(notUrl.stderr).toMatch(/redis:\/\/ or rediss:\/\/ URL/);
  });

  it("--port 0 prints its URL; a lobby works; SIGTERM closes the clients with 1001 and exits 0", async () => {
    const p = await spawnCli(["--quiet", "--origin", "https://game.example"]);
    procs.push(p);
    expect(p.url).toMatch(/^ws:\/\/127\.0\.0\.1:(?!0\/)\d+\/$/);
    expect(p.stderr()).toContain("lobbies in memory; origins: https://game.example");
    const host = await RawPeer.connect(p.url, { Origin: "https://game.example" });
    const { lobby, id } = await host.join("");
    expect(id).toBe(1);
    const member = await RawPeer.connect(p.url);
    const j = await member.join(lobby);
    member.send(4, 1, "offer");
    expect(await host.take(4)).toEqual({ type: 4, id: j.id, data: "offer" });
    await expect(RawPeer.connect(p.url, { Origin: "https://elsewhere.example" })).rejects.toThrow("HTTP 403");
    expect(await p.stop()).toBe(0);
    expect(await host.closed).toEqual({ code: 1001, reason: "Server shutting down" });
    expect((await member.closed).code).toBe(1001);
  });
});
