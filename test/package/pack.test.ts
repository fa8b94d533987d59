// Packs the package with `npm pack` and uses the tarball from a folder outside
// the repository, through ESM import and CJS require, with type checking.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");
let dir = "";
let tarball = "";

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120000 });
}

// Both module systems run the same real checks: a STUN Binding between two
// endpoints of the packed engine over UDP on 127.0.0.1, and two Godot peers
// (the engine is the default extension) exchanging a message.
const probe = (pkg: string) => `
  const server = await ${pkg}.createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }], answerStun: true });
  const client = await ${pkg}.createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
  const r = await client.stunBinding(server.sockets[0].local);
  const out = { version: ${pkg}.VERSION, ok: r.ok, mapped: r.mapped, local: client.sockets[0].local };
  client.close(); server.close();
  const a = new ${pkg}.WebRTCPeerConnection(), b = new ${pkg}.WebRTCPeerConnection();
  out.engine = a instanceof ${pkg}.WebRTCPeerConnectionEngine;
  const cfg = { wasmrtc: { bind: ["127.0.0.1"] } };
  a.initialize(cfg); b.initialize(cfg);
  a.session_description_created.connect((t, s) => { a.set_local_description(t, s); b.set_remote_description(t, s); });
  b.session_description_created.connect((t, s) => { b.set_local_description(t, s); a.set_remote_description(t, s); });
  a.ice_candidate_created.connect((m, i, n) => b.add_ice_candidate(m, i, n));
  b.ice_candidate_created.connect((m, i, n) => a.add_ice_candidate(m, i, n));
  const ca = a.create_data_channel("c", { negotiated: true, id: 0 }), cb = b.create_data_channel("c", { negotiated: true, id: 0 });
  a.create_offer();
  await new Promise((done) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      a.poll(); b.poll();
      if (ca.get_ready_state() === 1 && !out.sent) out.sent = ca.put_packet(new TextEncoder().encode("packed")) === 0;
      if (cb.get_available_packet_count() > 0) out.message = new TextDecoder().decode(cb.get_packet());
      if (out.message || Date.now() - t0 > 10000) { clearInterval(iv); a.close(); b.close(); done(); }
    }, 2);
  });
  console.log(JSON.stringify(out));
`;

describe("packed tarball", () => {
  beforeAll(() => {
    expect(existsSync(join(repo, "dist/index.js")), "run npm run build first").toBe(true);
    dir = mkdtempSync(join(tmpdir(), "wasmrtc-pack-"));
    const out = run("npm", ["pack", "--silent", "--pack-destination", dir], repo).trim().split("\n").pop()!;
    tarball = join(dir, out);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--silent", tarball], dir);
  }, 180000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has every path of the exports map", () => {
    const pkg = JSON.parse(readFileSync(join(dir, "node_modules/wasmrtc/package.json"), "utf8"));
    const paths: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string") paths.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(pkg.exports);
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) expect(existsSync(join(dir, "node_modules/wasmrtc", p)), p).toBe(true);
  });

  it("works through ESM import", () => {
    writeFileSync(join(dir, "esm.mjs"), `import * as w from "wasmrtc";\n${probe("w")}`);
    const res = JSON.parse(run("node", ["esm.mjs"], dir));
    expect(res.ok).toBe(true);
    expect(res.mapped).toEqual({ family: 4, ip: "127.0.0.1", port: res.local.port });
    expect(res.engine).toBe(true);
    expect(res.message).toBe("packed");
  });

  // Deno and Bun from their npm packages (devDependencies), on the same tarball and the same probe.
  const runtimes: Array<[string, string, string[]]> = [
    ["Deno (Deno.listenDatagram, --unstable-net)", join(repo, "node_modules/.bin/deno"), ["run", "-A", "--unstable-net"]],
    ["Deno (its node:dgram)", join(repo, "node_modules/.bin/deno"), ["run", "-A"]],
    ["Bun", join(repo, "node_modules/.bin/bun"), []],
  ];
  for (const [name, bin, args] of runtimes) {
    it.runIf(existsSync(bin))(`works through ESM import in ${name}`, () => {
      writeFileSync(join(dir, "esm.mjs"), `import * as w from "wasmrtc";\n${probe("w")}`);
      const out = run(bin, [...args, "esm.mjs"], dir);
      const res = JSON.parse(out.trim().split("\n").pop()!);
      expect(res.ok).toBe(true);
      expect(res.mapped).toEqual({ family: 4, ip: "127.0.0.1", port: res.local.port });
      expect(res.engine).toBe(true);
      expect(res.sent).toBe(true);
      expect(res.message).toBe("packed");
    }, 60000);
  }

  it("works through CJS require", () => {
    writeFileSync(join(dir, "cjs.cjs"), `const w = require("wasmrtc");\n(async () => {${probe("w")}})();`);
    const res = JSON.parse(run("node", ["cjs.cjs"], dir));
    expect(res.ok).toBe(true);
    expect(res.mapped).toEqual({ family: 4, ip: "127.0.0.1", port: res.local.port });
    expect(res.engine).toBe(true);
    expect(res.message).toBe("packed");
  });

  it("type-checks for ESM and CJS consumers", () => {
    const src = `import { createNodeEndpoint, type StunBindingResult } from "wasmrtc";
export async function f(): Promise<StunBindingResult> {
  const e = await createNodeEndpoint();
  return e.stunBinding({ family: 4, ip: "127.0.0.1", port: 1 });
}
`;
    writeFileSync(join(dir, "a.mts"), src);
    writeFileSync(join(dir, "b.cts"), src);
    const tsc = join(repo, "node_modules/typescript/bin/tsc");
    const out = run("node", [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext",
      "--types", "node", "--typeRoots", join(repo, "node_modules/@types"), "a.mts", "b.cts"], dir);
    expect(out.trim()).toBe("");
  });
});
