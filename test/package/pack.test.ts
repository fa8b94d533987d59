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

// Both module systems run the same real check: a STUN Binding between two
// endpoints of the packed engine over UDP on 127.0.0.1.
const probe = (pkg: string) => `
  const server = await ${pkg}.createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }], answerStun: true });
  const client = await ${pkg}.createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
  const r = await client.stunBinding(server.sockets[0].local);
  const out = { version: ${pkg}.VERSION, ok: r.ok, mapped: r.mapped, local: client.sockets[0].local };
  client.close(); server.close();
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
  });

  it("works through CJS require", () => {
    writeFileSync(join(dir, "cjs.cjs"), `const w = require("wasmrtc");\n(async () => {${probe("w")}})();`);
    const res = JSON.parse(run("node", ["cjs.cjs"], dir));
    expect(res.ok).toBe(true);
    expect(res.mapped).toEqual({ family: 4, ip: "127.0.0.1", port: res.local.port });
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
