// The WebAssembly engine's DTLS over real UDP on 127.0.0.1 against Debian's
// OpenSSL command-line peers: `openssl s_server -dtls1_2` (we are the client)
// and `openssl s_client -dtls1_2` (we are the server), ECDSA P-256 keys,
// data echoed both ways, certificates checked by fingerprint.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeEndpoint } from "../../src/engine/node.js";
import type { Endpoint } from "../../src/engine/endpoint.js";
import type { DtlsSessionHandle } from "../../src/engine/dtls.js";
import { freeUdpPort } from "../helpers/ports.js";

let dir = "";
let fingerprint = "";
const procs: ChildProcess[] = [];
const eps: Endpoint[] = [];

function sh(...args: string[]): string {
  return execFileSync("openssl", args, { cwd: dir, encoding: "utf8" });
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
}

function spawnOpenssl(args: string[]): { proc: ChildProcess; out: () => string } {
  const proc = spawn("openssl", args, { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  procs.push(proc);
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  return { proc, out: () => out };
}

function collect(s: DtlsSessionHandle): { got: string[]; info: { t?: number; suite?: number } } {
  const got: string[] = [];
  const info: { t?: number; suite?: number } = {};
  s.onData = (d) => got.push(new TextDecoder().decode(d));
  s.onConnected = (i) => {
    info.t = performance.now();
    info.suite = i.suite;
  };
  return { got, info };
}

describe("DTLS (wasm engine) against openssl s_server / s_client over 127.0.0.1", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wasmrtc-dtls-"));
    sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem",
      "-out", "cert.pem", "-days", "1", "-subj", "/CN=openssl-peer");
    fingerprint = sh("x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256").trim().split("=")[1]!;
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
  afterAll(() => {
    procs.forEach((p) => p.kill("SIGKILL"));
    eps.forEach((e) => e.close());
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("we are the client, openssl s_server the server", async () => {
    const port = await freeUdpPort();
    const server = spawnOpenssl(["s_server", "-dtls1_2", "-accept", `127.0.0.1:${port}`, "-cert", "cert.pem",
      "-key", "key.pem", "-Verify", "1", "-mtu", "1200"]);
    expect(await until(() => server.out().includes("ACCEPT"), 5000)).toBe(true);
    const ep = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    eps.push(ep);
    const s = ep.createDtlsSession({ role: "client", remoteFingerprint: fingerprint }, { family: 4, ip: "127.0.0.1", port })!;
    const { got, info } = collect(s);
    const t0 = performance.now();
    s.start();
    expect(await until(() => s.connected || s.failure !== "", 5000), s.failure).toBe(true);
    expect(s.failure).toBe("");
    console.log(`DTLS handshake (wasm client ↔ openssl s_server, loopback): ${(info.t! - t0).toFixed(1)} ms`);
    expect(s.send(new TextEncoder().encode("hello from wasmrtc\n"))).toBe(true);
    expect(await until(() => server.out().includes("hello from wasmrtc"), 5000)).toBe(true);
    server.proc.stdin!.write("hello from openssl\n");
    expect(await until(() => got.join("").includes("hello from openssl"), 5000)).toBe(true);
    s.close();
  });

  it("we are the server, openssl s_client the client", async () => {
    const ep = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    eps.push(ep);
    const s = ep.createDtlsSession({ role: "server", remoteFingerprint: fingerprint })!;
    const { got, info } = collect(s);
    s.start();
    const port = ep.sockets[0]!.local.port;
    const t0 = performance.now();
    const client = spawnOpenssl(["s_client", "-dtls1_2", "-connect", `127.0.0.1:${port}`, "-cert", "cert.pem",
      "-key", "key.pem", "-mtu", "1200"]);
    expect(await until(() => s.connected || s.failure !== "", 8000), `${s.failure} ${client.out()}`).toBe(true);
    expect(s.failure).toBe("");
    console.log(`DTLS handshake (openssl s_client ↔ wasm server, loopback, incl. process start): ${(info.t! - t0).toFixed(1)} ms`);
    expect(await until(() => client.out().includes("Cipher is ECDHE-ECDSA-AES"), 5000), client.out()).toBe(true);
    client.proc.stdin!.write("hello from s_client\n");
    expect(await until(() => got.join("").includes("hello from s_client"), 5000)).toBe(true);
    expect(s.send(new TextEncoder().encode("hello from wasmrtc server\n"))).toBe(true);
    expect(await until(() => client.out().includes("hello from wasmrtc server"), 5000)).toBe(true);
  });

  it("a wrong fingerprint fails the handshake against the real peer", async () => {
    const port = await freeUdpPort();
    const server = spawnOpenssl(["s_server", "-dtls1_2", "-accept", `127.0.0.1:${port}`, "-cert", "cert.pem",
      "-key", "key.pem", "-Verify", "1"]);
    expect(await until(() => server.out().includes("ACCEPT"), 5000)).toBe(true);
    const ep = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    eps.push(ep);
    const wrong = fingerprint.replace(/^../, fingerprint.startsWith("00") ? "11" : "00");
    const s = ep.createDtlsSession({ role: "client", remoteFingerprint: wrong }, { family: 4, ip: "127.0.0.1", port })!;
    s.start();
    expect(await until(() => s.failure !== "", 5000)).toBe(true);
    expect(s.failure).toMatch(/fingerprint mismatch/);
    expect(s.connected).toBe(false);
  });
});
