// Builds the pion echo peer (test/interop/pion/echo) offline from Debian's Go
// sources (golang-github-pion-webrtc.v3-dev puts them under /usr/share/gocode/src):
// a throw-away copy of the module in build/pion/mod-<hash>/ whose go.mod gets a
// `replace MODULE => DIR` for every module found there and a stub directory
// (just a go.mod) for every module the graph names that is missing (those are
// only needed by tests of the dependencies), then `go build` with
// GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off. The binary is
// build/pion/pion-echo-<hash>, the hash covering the sources, the module list
// and the Go version, so it is built once and reused.
//
// Plain JavaScript so that bench/datachannel.mjs can use it as well as the tests.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// This file may run bundled elsewhere (test/helpers/netns.ts bundles children into build/netns/):
// the repository is the first directory upwards that holds the echo peer's sources.
function findRepo() {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    if (existsSync(join(d, "test/interop/pion/echo/main.go"))) return d;
    if (dirname(d) === d) return process.cwd();
  }
}
export const repoRoot = findRepo();
export const ECHO_DIR = join(repoRoot, "test/interop/pion/echo");
export const GOCODE = process.env.PION_GOCODE ?? "/usr/share/gocode/src";
export const BUILD_DIR = join(repoRoot, "build", "pion");

/** The go command, or null. */
export function findGo() {
  for (const c of [process.env.GO, "go", "/usr/lib/go/bin/go", "/usr/bin/go"].filter(Boolean)) {
    const r = spawnSync(c, ["version"], { encoding: "utf8" });
    if (r.status === 0) return { go: c, version: r.stdout.trim() };
  }
  return null;
}

/** Why the pion peer cannot be built here, or null when it can. */
export function pionUnavailable() {
  if (!findGo()) return "no go command (apt-get install golang-go)";
  if (!existsSync(join(GOCODE, "github.com/pion/webrtc/go.mod"))) {
    return `no pion/webrtc sources under ${GOCODE} (apt-get install golang-github-pion-webrtc.v3-dev)`;
  }
  return null;
}

function walkGoMods(dir, out, depth = 0) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === "go.mod" && e.isFile()) out.push(join(dir, e.name));
  }
  if (depth > 8) return;
  for (const e of entries) {
    if (!e.isDirectory() || e.name === "testdata" || e.name === "vendor" || e.name.startsWith(".") || e.name.startsWith("_")) continue;
    walkGoMods(join(dir, e.name), out, depth + 1);
  }
}

const unquote = (s) => s.replace(/^"(.*)"$/, "$1");

/** Module path and required module paths of a go.mod. */
function parseGoMod(text) {
  const lines = text.replace(/\/\/.*$/gm, "").split("\n").map((l) => l.trim());
  let module = null;
  const requires = new Set();
  let inRequire = false;
  for (const l of lines) {
    if (!l) continue;
    if (inRequire) {
      if (l === ")") inRequire = false;
      else requires.add(unquote(l.split(/\s+/)[0]));
      continue;
    }
    let m;
    if ((m = /^module\s+(\S+)/.exec(l))) module = unquote(m[1]);
    else if (/^require\s*\($/.test(l)) inRequire = true;
    else if ((m = /^require\s+(\S+)\s+\S+/.exec(l))) requires.add(unquote(m[1]));
  }
  return { module, requires };
}

/** Every module under GOCODE (module path -> directory) and the modules they require that are not there. */
export function scanModules(root = GOCODE) {
  const files = [];
  walkGoMods(root, files);
  const found = new Map();
  const required = new Set();
  for (const f of files.sort()) {
    const { module, requires } = parseGoMod(readFileSync(f, "utf8"));
    if (!module) continue;
    const dir = dirname(f);
    // Examples and tools inside a module carry their own go.mod: keep the shortest directory per module.
    if (!found.has(module) || dir.length < found.get(module).length) found.set(module, dir);
    for (const r of requires) required.add(r);
  }
  const missing = [...required].filter((r) => !found.has(r)).sort();
  return { found: new Map([...found].sort((a, b) => a[0].localeCompare(b[0]))), missing };
}

function sourceFiles() {
  return readdirSync(ECHO_DIR).filter((f) => f.endsWith(".go") || f === "go.mod").sort();
}

/**
 * Builds (or reuses) the echo binary; returns its path. `log` gets one line per step.
 * Throws with go's output when the build fails.
 */
export function ensurePionEcho(log = () => {}) {
  const why = pionUnavailable();
  if (why) throw new Error(`pion echo peer: ${why}`);
  const { go, version } = findGo();
  const { found, missing } = scanModules();
  const h = createHash("sha256").update(version);
  for (const f of sourceFiles()) h.update(f).update(readFileSync(join(ECHO_DIR, f)));
  for (const [m, d] of found) h.update(`${m}=${d}\n`);
  h.update(missing.join(","));
  // Debian updating the sources changes the webrtc go.mod's mtime at least.
  h.update(String(statSync(join(GOCODE, "github.com/pion/webrtc/go.mod")).mtimeMs));
  const tag = h.digest("hex").slice(0, 16);
  const bin = join(BUILD_DIR, `pion-echo-${tag}`);
  if (existsSync(bin)) return bin;

  const t0 = Date.now();
  const mod = join(BUILD_DIR, `mod-${tag}`);
  rmSync(mod, { recursive: true, force: true });
  mkdirSync(mod, { recursive: true });
  for (const f of sourceFiles()) writeFileSync(join(mod, f), readFileSync(join(ECHO_DIR, f)));
  const replaces = [];
  for (const [m, d] of found) replaces.push(`replace ${m} => ${d}`);
  for (const m of missing) {
    const stub = join(mod, "stubs", m);
    mkdirSync(stub, { recursive: true });
    writeFileSync(join(stub, "go.mod"), `module ${m}\n`);
    replaces.push(`replace ${m} => ./${relative(mod, stub)}`);
  }
  writeFileSync(join(mod, "go.mod"), `${readFileSync(join(ECHO_DIR, "go.mod"), "utf8").trimEnd()}\n\n${replaces.join("\n")}\n`);
  log(`pion: building ${relative(repoRoot, bin)} (${found.size} modules from ${GOCODE}, ${missing.length} stubs)`);
  const env = {
    ...process.env,
    GOFLAGS: "-mod=mod", GOPROXY: "off", GOSUMDB: "off", GONOSUMDB: "*", GOTOOLCHAIN: "local", GO111MODULE: "on",
    GOCACHE: join(BUILD_DIR, "gocache"), GOPATH: join(BUILD_DIR, "gopath"), GOMODCACHE: join(BUILD_DIR, "gopath", "pkg", "mod"),
    CGO_ENABLED: "0",
  };
  const tmp = `${bin}.tmp-${process.pid}`;
  try {
    execFileSync(go, ["build", "-p", "2", "-trimpath", "-o", tmp, "."], { cwd: mod, env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (e) {
    throw new Error(`pion echo peer: go build failed in ${mod}:\n${String(e.stderr ?? "")}${String(e.stdout ?? "")}`);
  }
  renameSync(tmp, bin);
  log(`pion: built in ${Date.now() - t0} ms`);
  return bin;
}

// `node test/interop/pion/build.mjs` builds and prints the binary's path.
// (By name too: a bundle that inlines this file has its own import.meta.url.)
if (process.argv[1] && /(^|[\\/])build\.mjs$/.test(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(ensurePionEcho((l) => console.error(l)));
}
