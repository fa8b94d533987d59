// Benchmarks, side by side in one run; numbers and ratios, never pass/fail.
// Today: the per-packet crypto budget (DESIGN.md) on both providers, direct and
// through the WebAssembly import bridge, and STUN round trips over loopback
// against coturn when it is installed.
import { NodeCryptoProvider, NobleCryptoProvider, Engine, createNodeEndpoint } from "../dist/index.js";

function time(fn, iters) {
  for (let i = 0; i < Math.min(1000, iters / 10); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) fn();
  return ((performance.now() - t0) * 1000) / iters; // µs per op
}

const rows = [];
const pt = new Uint8Array(1200).map((_, i) => i);
const iv = new Uint8Array(12);
const aad = new Uint8Array(13);
for (const p of [new NodeCryptoProvider(), new NobleCryptoProvider()]) {
  const key = p.aeadKeyNew("aes-128-gcm", new Uint8Array(16).fill(1));
  const direct = time(() => p.aeadSeal(key, iv, aad, pt), p.name === "@noble" ? 2000 : 20000);
  const engine = await Engine.load({ crypto: p });
  const w = engine.wasm;
  const x = w.exports;
  const kp = w.copyIn(new Uint8Array(16).fill(1));
  const ivp = w.copyIn(iv);
  const aadp = w.copyIn(aad);
  const ptp = w.copyIn(pt);
  const out = w.alloc(1300);
  // Seal + open + tamper check = 3 AEAD operations per call.
  const bridged = time(() => x.wr_crypto_aead_roundtrip(1, kp, 16, ivp, aadp, 13, ptp, 1200, out), p.name === "@noble" ? 500 : 5000) / 3;
  const msg = new Uint8Array(100);
  const hmac = time(() => p.hmac("sha1", pt.subarray(0, 16), msg), 20000);
  rows.push({ provider: p.name, "seal 1200 B (µs)": direct.toFixed(2), "via wasm bridge (µs/op, incl. key setup)": bridged.toFixed(2), "HMAC-SHA1 100 B (µs)": hmac.toFixed(2) });
}
console.table(rows);
console.log(`ratio noble/node seal: ${(Number(rows[1]["seal 1200 B (µs)"]) / Number(rows[0]["seal 1200 B (µs)"])).toFixed(1)}x`);

// STUN Binding round trips over 127.0.0.1: our server vs coturn's, our client.
const { existsSync } = await import("node:fs");
const { spawn } = await import("node:child_process");
const client = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
async function rtts(target, n = 200) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await client.stunBinding(target);
    if (r.ok) out.push(r.rttMs * 1000);
  }
  out.sort((a, b) => a - b);
  return out;
}
const ours = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }], answerStun: true });
const stats = [];
const o = await rtts(ours.sockets[0].local);
stats.push({ server: "wasmrtc (wasm)", "median µs": o[o.length >> 1].toFixed(0), "p90 µs": o[Math.floor(o.length * 0.9)].toFixed(0) });
if (existsSync("/usr/bin/turnserver")) {
  const port = 30000 + Math.floor(Math.random() * 5000);
  const proc = spawn("turnserver", ["--listening-ip=127.0.0.1", `--listening-port=${port}`, "--no-cli", "--no-tls", "--no-dtls", "--no-auth"], { stdio: "ignore" });
  let c = [];
  for (let i = 0; i < 50 && c.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const r = await client.stunBinding({ family: 4, ip: "127.0.0.1", port });
    if (r.ok) c = await rtts({ family: 4, ip: "127.0.0.1", port });
  }
  proc.kill();
  if (c.length) stats.push({ server: "coturn", "median µs": c[c.length >> 1].toFixed(0), "p90 µs": c[Math.floor(c.length * 0.9)].toFixed(0) });
}
console.table(stats);
if (stats.length === 2) console.log(`ratio coturn/wasmrtc median: ${(stats[1]["median µs"] / stats[0]["median µs"]).toFixed(2)}x`);
client.close();
ours.close();

// DTLS: bulk record protection through seal + open inside the module (host crypto per record),
// and full handshakes between two engine endpoints over UDP on 127.0.0.1.
{
  const rows = [];
  for (const p of [new NodeCryptoProvider(), new NobleCryptoProvider()]) {
    const engine = await Engine.load({ crypto: p });
    const x = engine.wasm.exports;
    for (const size of [1200, 16384]) {
      const count = p.name === "@noble" ? (size > 2000 ? 300 : 2000) : (size > 2000 ? 3000 : 20000);
      x.wr_dtls_record_bench(0, size, Math.min(count, 100));
      const t0 = performance.now();
      const ok = x.wr_dtls_record_bench(0, size, count);
      const ms = performance.now() - t0;
      rows.push({ provider: p.name, "record bytes": size, "seal+open MB/s": ((ok * size) / 1e6 / (ms / 1000)).toFixed(1),
        "µs per record (seal+open)": ((ms * 1000) / ok).toFixed(2) });
    }
  }
  console.table(rows);
  const hs = [];
  for (let i = 0; i < 20; i++) {
    const a = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    const b = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    const server = b.createDtlsSession({ role: "server", verifyFingerprint: false });
    const client = a.createDtlsSession({ role: "client", remoteFingerprint: server.fingerprint }, b.sockets[0].local);
    server.start();
    const t0 = performance.now();
    await new Promise((resolve) => {
      client.onConnected = resolve;
      client.start();
    });
    hs.push(performance.now() - t0);
    a.close();
    b.close();
  }
  hs.sort((x, y) => x - y);
  console.log(`DTLS handshake, wasm client ↔ wasm server over 127.0.0.1 (node:crypto): median ${hs[10].toFixed(1)} ms, min ${hs[0].toFixed(1)} ms`);
}
