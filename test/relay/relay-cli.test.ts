// `wasmrtc-relay` (dist/relay-cli.js, built by `npm run build:ts`) as an
// operator runs it: --help lists every option, a missing secret says what to
// do, and a relay on --port 0 prints its URL, relays a datagram for a client
// and ends with exit 0 on SIGTERM, even with a client holding a half-sent request.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRelayCredentials } from "../../src/relay/credentials.js";
import { Class } from "../../src/relay/stun.js";
import { TurnWsClient, udpPeer } from "./turn-ws-client.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// RELAY_CLI=<file> runs the tests against another build of the CLI.
const CLI = process.env.RELAY_CLI ?? join(ROOT, "dist/relay-cli.js");
const SECRET = "cli-test-secret-123";
const env = () => {
  const e = { ...process.env };
  delete e.WASMRTC_RELAY_SECRET;
  return e;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  if (process.env.RELAY_CLI) return;
  // The CLI under test is the built one: refuse to test an older build than the sources.
  const built = statSync(CLI, { throwIfNoEntry: false });
  expect(built, "dist/relay-cli.js is missing: run npm run build:ts").toBeTruthy();
  const dir = join(ROOT, "src/relay");
  for (const f of readdirSync(dir)) {
    expect(statSync(join(dir, f)).mtimeMs, `src/relay/${f} is newer than dist/relay-cli.js: run npm run build:ts`).toBeLessThanOrEqual(built!.mtimeMs);
  }
});

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

describe("wasmrtc-relay", () => {
  it("--help exits 0 and names every option cli.ts accepts", () => {
    const r = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8", env: env(), timeout: 5000 });
    expect(r.status).toBe(0);
    const source = readFileSync(join(ROOT, "src/relay/cli.ts"), "utf8");
    const block = /parseArgs\(\{\s*options:\s*\{([\s\S]*?)\},\s*strict/.exec(source)?.[1] ?? "";
    const names = [...block.matchAll(/"?([a-z][a-z-]*)"?:\s*\{\s*type:/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(r.stdout, `--${n} missing from --help`).toMatch(new RegExp(`--${n}\\b`));
    expect(r.stdout).toMatch(/-h, --help/);
  });

  it("without a secret: exit 2 and a message that says how to give one; an unknown option: exit 2", () => {
    const r = spawnSync(process.execPath, [CLI, "--port", "0"], { encoding: "utf8", env: env(), timeout: 5000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/a secret is required: --secret, --secret-file or WASMRTC_RELAY_SECRET/);
    expect(r.stderr).toMatch(/--help/);
    const bad = spawnSync(process.execPath, [CLI, "--secret", SECRET, "--no-such-option"], { encoding: "utf8", env: env(), timeout: 5000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no-such-option/);
    const zero = spawnSync(process.execPath, [CLI, "--secret", SECRET, "--port", "0", "--rate-datagrams", "0"], { encoding: "utf8", env: env(), timeout: 5000 });
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/datagramsPerSecond` must be a positive number/);
  });

  it("--port 0 prints the URL it listens on; a client allocates and relays a datagram; SIGTERM ends it with exit 0", async () => {
    const child = spawn(process.execPath, [CLI, "--port", "0", "--host", "127.0.0.1", "--relay-ip", "127.0.0.1", "--allow", "127.0.0.1/32",
      "--secret", SECRET, "--quiet"], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const t0 = performance.now();
    while (!/listening on (ws:\/\/\S+)/.test(stderr)) {
      if (performance.now() - t0 > 5000 || child.exitCode !== null) throw new Error(`no listening line: ${stderr}`);
      await sleep(20);
    }
    const url = /listening on (ws:\/\/\S+)/.exec(stderr)![1]!;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:(?!0\/)\d+\/$/);

    const c = await TurnWsClient.connect(url);
    const u = createRelayCredentials(SECRET, "cli-user", 600);
    expect((await c.allocate(u.username, u.credential))?.cls).toBe(Class.Success);
    const echo = await udpPeer("127.0.0.1", true);
    try {
      const got: string[] = [];
      c.onPeerData = (d) => got.push(Buffer.from(d).toString());
      expect((await c.bindChannel(0x4001, echo.address))?.cls).toBe(Class.Success);
      c.sendChannel(0x4001, Buffer.from("through the cli relay"));
      const t1 = performance.now();
      while (got.length === 0 && performance.now() - t1 < 2000) await sleep(10);
      expect(got).toEqual(["through the cli relay"]);

      // A connection that never finishes its request must not hold the shutdown.
      const half = tcpConnect({ port: Number(new URL(url).port), host: "127.0.0.1" });
      half.on("error", () => undefined);
      half.write("GET / HTTP/1.1\r\nHost: x\r\n");
      await sleep(100);
      child.kill("SIGTERM");
      const code = await Promise.race([exited, sleep(5000).then(() => "still running")]);
      expect(code).toBe(0);
      expect(await Promise.race([c.closed, sleep(1000).then(() => null)])).toEqual({ code: 1001, reason: "relay shutting down" });
      half.destroy();
    } finally {
      echo.close();
      c.ws.terminate();
    }
  });
});
