// The package's browser entry through real bundlers, as a user's project sees
// it: a fixture app (test/bundlers/app) imports "wasmrtc" by name from a
// project folder whose node_modules/wasmrtc is a symlink to this repository,
// so each bundler resolves it through package.json "exports" with the
// "browser" condition (dist/browser.js) and "./wasmrtc.wasm". It is bundled by
// esbuild's JS API and by Vite's build(), each into build/bundlers/<name>/,
// and the output runs the engine's STUN check on the virtual network in
// Chromium inside a private network namespace (serve-and-run.mjs).
//
// No Node reaches a bundle: (1) the output JS is scanned for node:
// specifiers, require(, and Node globals (process., Buffer, __dirname,
// global.), with no allowlist; (2) the module graph (esbuild's metafile, Rollup's
// module info for Vite, the esbuild metafile of src/browser.ts and the
// sources of dist/browser.js.map) holds no Node-only module of the package
// and no node:* import; (3) in the page, after the engine ran,
// typeof process, Buffer, require and global are all "undefined".
import { spawnSync } from "node:child_process";
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { build as viteBuild, type Plugin, type Rollup } from "vite";
import { afterAll, describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");
const appDir = join(__dirname, "app");
const buildRoot = join(repo, "build/bundlers");
const runner = join(__dirname, "serve-and-run.mjs");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Modules of the package that only Node may load, and what marks a module as such.
const NODE_ONLY = ["src/engine/node.ts", "src/net/udp.ts", "src/crypto/node.ts", "src/index.ts"].map((f) => join(repo, f));
const isNodeSpecifier = (s: string): boolean => s.startsWith("node:");

interface Project {
  /** Temporary folder outside the repo: the app's files, index.html, node_modules/wasmrtc -> repo. */
  dir: string;
  /** build/bundlers/<name>: the bundler's output, served as the page's root. */
  out: string;
}

// The project lives in the system's temp folder: a node_modules/wasmrtc
// symlink to the repo from inside build/ would make a directory cycle.
const projectDirs: string[] = [];
function makeProject(name: string, entry: string, scriptSrc: string): Project {
  const dir = mkdtempSync(join(tmpdir(), `wasmrtc-bundler-${name}-`));
  projectDirs.push(dir);
  for (const f of readdirSync(appDir)) copyFileSync(join(appDir, f), join(dir, f));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(repo, join(dir, "node_modules/wasmrtc"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `bundler-${name}`, private: true, type: "module" }));
  writeFileSync(join(dir, "index.html"),
    `<!doctype html>\n<meta charset="utf-8">\n<title>wasmrtc ${name}</title>\n<link rel="icon" href="data:,">\n<script type="module" src="${scriptSrc}"></script>\n`);
  expect(existsSync(join(dir, entry))).toBe(true);
  const out = join(buildRoot, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  return { dir, out };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

function sizes(out: string): { js: number; jsGzip: number; wasm: number; files: string[] } {
  let js = 0, jsGzip = 0, wasm = 0;
  const files = filesUnder(out);
  for (const f of files) {
    const b = readFileSync(f);
    if (f.endsWith(".js")) { js += b.length; jsGzip += gzipSync(b).length; }
    if (f.endsWith(".wasm")) wasm += b.length;
  }
  return { js, jsGzip, wasm, files: files.map((f) => relative(out, f)) };
}

// Nothing Node-looking may appear in a bundle: the browser entry has no Node
// branch at all (the Node entry installs the loader's file reader itself).
const FORBIDDEN: Array<[string, RegExp]> = [
  ["node: specifier", /["'`]node:[\w/]+/g],
  ["require(", /require\s*\(/g],
  ["process. / process[", /(?<![\w$.])process\s*[.[]/g],
  ["typeof process", /typeof\s+process\b/g],
  ["Buffer", /(?<![\w$])Buffer(?![\w$])/g],
  ["__dirname / __filename", /__dirname|__filename/g],
  ["global. / global[", /(?<![\w$.])global\s*[.[]/g],
];

interface ScanResult { hits: string[] }

function scan(js: string): ScanResult {
  const hits: string[] = [];
  for (const [what, re] of FORBIDDEN) {
    for (const m of js.matchAll(re)) hits.push(`${what}: …${js.slice(Math.max(0, m.index! - 80), m.index! + 80)}…`);
  }
  return { hits };
}

function scanOutput(out: string): ScanResult {
  const all: ScanResult = { hits: [] };
  for (const f of filesUnder(out).filter((f) => f.endsWith(".js"))) {
    const r = scan(readFileSync(f, "utf8"));
    all.hits.push(...r.hits.map((h) => `${relative(out, f)}: ${h}`));
  }
  return all;
}

interface PageResult {
  ok: boolean;
  error?: string;
  value?: { ok: boolean; mapped: unknown; rtt: number; timedOut: boolean; wasmFetched: string[] };
  globals?: Record<string, string>;
  logs?: string[];
  served?: Array<{ path: string; status: number; bytes?: number }>;
}

function runInPage(out: string, timeoutMs = 90000): PageResult & { ms: number } {
  const inner = `ip link set lo up && exec "${process.execPath}" "${runner}" "${out}" 60000`;
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const args = [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
    "sh", "-c", inner];
  const start = Date.now();
  const r = spawnSync("unshare", args, { encoding: "utf8", timeout: timeoutMs, cwd: repo, env: { ...process.env } });
  const ms = Date.now() - start;
  const marker = r.stdout?.lastIndexOf("@@RESULT@@") ?? -1;
  if (marker < 0) return { ok: false, error: `no result (status ${r.status}, signal ${r.signal}): ${r.stderr}${r.stdout}`, ms };
  return { ...JSON.parse(r.stdout.slice(marker + 10).trim()), ms };
}

function expectStun(r: PageResult, wasmPath: RegExp): void {
  expect(r.ok, `${r.error ?? ""}\n${(r.logs ?? []).join("\n")}`).toBe(true);
  expect(r.value!.ok).toBe(true);
  expect(r.value!.mapped).toEqual({ family: 4, ip: "10.0.0.2", port: 49152 });
  expect(r.value!.rtt).toBeCloseTo(30, 3);
  expect(r.value!.timedOut).toBe(true);
  // (3) No Node global in the page once the bundle has run.
  expect(r.globals).toEqual({ process: "undefined", Buffer: "undefined", require: "undefined", global: "undefined" });
  // The engine fetched exactly one .wasm, the one the bundler's URL names, and it was served.
  expect(r.value!.wasmFetched).toHaveLength(1);
  expect(new URL(r.value!.wasmFetched[0]!).pathname).toMatch(wasmPath);
  expect(r.served!.filter((s) => s.status !== 200), JSON.stringify(r.served)).toEqual([]);
  expect((r.logs ?? []).filter((l) => l.startsWith("pageerror") || l.startsWith("error"))).toEqual([]);
}

/** Shortest import chain from `from` to `to` in an esbuild metafile (for failure messages). */
function chain(meta: esbuild.Metafile, from: string, to: string): string {
  const prev = new Map<string, string>([[from, ""]]);
  const queue = [from];
  while (queue.length) {
    const cur = queue.shift()!;
    if (cur === to) break;
    for (const imp of meta.inputs[cur]?.imports ?? []) {
      if (!prev.has(imp.path)) { prev.set(imp.path, cur); queue.push(imp.path); }
    }
  }
  if (!prev.has(to)) return `${to} (no chain from ${from})`;
  const path: string[] = [];
  for (let p = to; p; p = prev.get(p)!) path.unshift(p);
  return path.join(" -> ");
}

/** (2) for an esbuild metafile: no Node-only module among the inputs, no node:* import, nothing external. */
function checkMetafile(meta: esbuild.Metafile, cwd: string, entry: string): string[] {
  const problems: string[] = [];
  for (const [input, info] of Object.entries(meta.inputs)) {
    const abs = resolve(cwd, input);
    if (NODE_ONLY.includes(abs) || isNodeSpecifier(input)) problems.push(`Node-only input: ${chain(meta, entry, input)}`);
    for (const imp of info.imports) {
      if (isNodeSpecifier(imp.path) || imp.original?.startsWith("node:")) problems.push(`node: import: ${chain(meta, entry, input)} -> ${imp.path}`);
      // esbuild lists a TypeScript import it dropped as type-only (e.g. endpoint.ts's
      // `import { Engine } from "./engine.js"`) as external and unresolved: relative ones are that.
      else if (imp.external && !/^\.\.?\//.test(imp.path)) problems.push(`external import left in the bundle: ${input} -> ${imp.path}`);
    }
  }
  return problems;
}

const report = (name: string, buildMs: number, out: string, runMs: number): void => {
  const s = sizes(out);
  const line = `${name}: build ${buildMs} ms, Chromium run ${runMs} ms; JS ${s.js} B (${s.jsGzip} B gzip), wasm ${s.wasm} B; files ${s.files.join(", ")}`;
  console.log(`[bundlers] ${line}`);
};

async function esbuildApp(name: string, entry: string, extra: esbuild.BuildOptions): Promise<{ project: Project; meta: esbuild.Metafile; ms: number }> {
  const project = makeProject(name, entry, "./main.js");
  const t0 = Date.now();
  const r = await esbuild.build({
    absWorkingDir: project.dir,
    entryPoints: { main: `./${entry}` },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: project.out,
    metafile: true,
    logLevel: "silent",
    ...extra,
  });
  const ms = Date.now() - t0;
  expect(r.errors).toEqual([]);
  expect(r.warnings.map((w) => w.text)).toEqual([]);
  copyFileSync(join(project.dir, "index.html"), join(project.out, "index.html"));
  return { project, meta: r.metafile!, ms };
}

/** Rollup's view of the graph, like esbuild's metafile: every module id and what each imports. */
function graphRecorder(graph: Array<{ id: string; imports: string[] }>): Plugin {
  return {
    name: "record-module-graph",
    apply: "build",
    generateBundle() {
      for (const id of this.getModuleIds()) {
        const info: Rollup.ModuleInfo | null = this.getModuleInfo(id);
        graph.push({ id, imports: [...(info?.importedIds ?? []), ...(info?.dynamicallyImportedIds ?? [])] });
      }
    },
  };
}

async function viteApp(name: string, entry: string): Promise<{ project: Project; graph: Array<{ id: string; imports: string[] }>; warnings: string[]; ms: number }> {
  const project = makeProject(name, entry, `./${entry}`);
  const graph: Array<{ id: string; imports: string[] }> = [];
  const warnings: string[] = [];
  const logger = {
    hasWarned: false,
    info() {},
    warn(msg: string) { warnings.push(msg); },
    warnOnce(msg: string) { warnings.push(msg); },
    error(msg: string) { warnings.push(`error: ${msg}`); },
    clearScreen() {},
    hasErrorLogged: () => false,
  };
  // vitest sets NODE_ENV=test, and Vite builds for production only when
  // NODE_ENV is unset or "production": do as `vite build` from a shell would.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  const t0 = Date.now();
  try {
    await viteBuild({
      root: project.dir,
      configFile: false,
      envFile: false,
      mode: "production",
      logLevel: "warn",
      customLogger: logger,
      plugins: [graphRecorder(graph)],
      build: { outDir: project.out, emptyOutDir: true, reportCompressedSize: false },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return { project, graph, warnings, ms: Date.now() - t0 };
}

/** (2) for Vite: every module is the app's, dist/browser.js, dist/wasmrtc.wasm or Vite's own; no node:* import. */
function checkViteGraph(graph: Array<{ id: string; imports: string[] }>, project: Project): string[] {
  const problems: string[] = [];
  const dist = join(repo, "dist");
  for (const { id, imports } of graph) {
    const file = id.split("?")[0]!;
    const ours = file.startsWith(project.dir + "/") || file === join(dist, "browser.js") || file === join(dist, "wasmrtc.wasm");
    const vites = id.startsWith("\0") || id.startsWith("vite/");
    if (NODE_ONLY.includes(file) || isNodeSpecifier(id) || (!ours && !vites)) problems.push(`unexpected module: ${id}`);
    for (const imp of imports) if (isNodeSpecifier(imp)) problems.push(`node: import: ${id} -> ${imp}`);
  }
  return problems;
}

describe.runIf(existsSync(chromiumPath))("the browser entry through bundlers", () => {
  afterAll(() => {
    for (const d of projectDirs) rmSync(d, { recursive: true, force: true });
  });

  it("dist/browser.js and its source graph hold no Node-only module and import no node:*", async () => {
    expect(existsSync(join(repo, "dist/browser.js")), "run npm run build first").toBe(true);
    // What the package's exports give a browser bundler, resolved as esbuild does.
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
    expect(pkg.exports["."].browser.default).toBe("./dist/browser.js");
    expect(pkg.exports["./wasmrtc.wasm"]).toBe("./dist/wasmrtc.wasm");
    // The sources that tsup bundled into dist/browser.js.
    const map = JSON.parse(readFileSync(join(repo, "dist/browser.js.map"), "utf8")) as { sources: string[] };
    const sources = map.sources.map((s) => resolve(repo, "dist", s));
    expect(sources).toContain(join(repo, "src/browser.ts"));
    expect(sources.filter((s) => NODE_ONLY.includes(s))).toEqual([]);
    expect(map.sources.filter((s) => s.includes("node:"))).toEqual([]);
    // src/browser.ts's own graph, with every node:* import recorded (and left
    // external) instead of failing the build, so a failure names the chain.
    const nodeImports: string[] = [];
    const r = await esbuild.build({
      absWorkingDir: repo,
      entryPoints: ["src/browser.ts"],
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [{
        name: "record-node-imports",
        setup(b) {
          b.onResolve({ filter: /^node:/ }, (a) => {
            nodeImports.push(`${a.importer} -> ${a.path}`);
            return { path: a.path, external: true };
          });
        },
      }],
    });
    expect(nodeImports).toEqual([]);
    expect(checkMetafile(r.metafile!, repo, "src/browser.ts")).toEqual([]);
    expect(Object.keys(r.metafile!.inputs)).toContain("src/common.ts");
    // The shipped file itself, before any bundler: only the allowlisted loader branch.
    const s = scan(readFileSync(join(repo, "dist/browser.js"), "utf8"));
    expect(s.hits).toEqual([]);
  }, 120000);

  // esbuild keeps `new URL("./wasmrtc.wasm", import.meta.url)` as it is, and in
  // an ESM bundle import.meta.url is the bundle's URL: copying the package's
  // wasmrtc.wasm beside main.js is all the default needs (see app/esbuild-default.js).
  it("esbuild (esm, browser), the entry's default wasm URL with wasmrtc.wasm copied beside the bundle", async () => {
    const { project, meta, ms } = await esbuildApp("esbuild-default", "esbuild-default.js", {});
    expect(checkMetafile(meta, project.dir, "esbuild-default.js")).toEqual([]);
    expect(Object.keys(meta.inputs).map((i) => resolve(project.dir, i))).toContain(join(repo, "dist/browser.js"));
    // As a user's build script would find it: through the package's "./wasmrtc.wasm" export.
    const wasm = createRequire(join(project.dir, "package.json")).resolve("wasmrtc/wasmrtc.wasm");
    copyFileSync(wasm, join(project.out, "wasmrtc.wasm"));
    const s = scanOutput(project.out);
    expect(s.hits).toEqual([]);
    const r = runInPage(project.out);
    expectStun(r, /^\/wasmrtc\.wasm$/);
    report("esbuild default URL", ms, project.out, r.ms);
  }, 120000);

  // The file loader emits the .wasm as a hashed asset and gives its URL, which
  // is relative to the page (see app/esbuild-file-loader.js). Minified, as a
  // production build would be.
  it("esbuild (esm, browser, minified), wasmUrl from the file loader on \"wasmrtc/wasmrtc.wasm\"", async () => {
    const { project, meta, ms } = await esbuildApp("esbuild-file-loader", "esbuild-file-loader.js", {
      loader: { ".wasm": "file" },
      minify: true,
    });
    expect(checkMetafile(meta, project.dir, "esbuild-file-loader.js")).toEqual([]);
    const s = scanOutput(project.out);
    expect(s.hits).toEqual([]);
    const r = runInPage(project.out);
    expectStun(r, /^\/wasmrtc-[A-Z0-9]+\.wasm$/);
    report("esbuild file loader (minified)", ms, project.out, r.ms);
  }, 120000);

  // `?url` on the package's "./wasmrtc.wasm" export (see app/vite-url.js).
  it("Vite build(), wasmUrl from \"wasmrtc/wasmrtc.wasm?url\"", async () => {
    const { project, graph, warnings, ms } = await viteApp("vite-url", "vite-url.js");
    expect(warnings).toEqual([]);
    expect(checkViteGraph(graph, project)).toEqual([]);
    expect(graph.map((g) => g.id)).toContain(join(repo, "dist/browser.js"));
    const s = scanOutput(project.out);
    expect(s.hits).toEqual([]);
    // The ?url import and the entry's own new URL(...) name the same asset: one .wasm is emitted.
    expect(sizes(project.out).files.filter((f) => f.endsWith(".wasm"))).toHaveLength(1);
    const r = runInPage(project.out);
    expectStun(r, /^\/assets\/wasmrtc-[\w-]+\.wasm$/);
    report("Vite ?url", ms, project.out, r.ms);
  }, 120000);

  // vite build rewrites the entry's new URL("./wasmrtc.wasm", import.meta.url)
  // to the emitted asset (see app/vite-default.js).
  it("Vite build(), the entry's default wasm URL", async () => {
    const { project, graph, warnings, ms } = await viteApp("vite-default", "vite-default.js");
    expect(warnings).toEqual([]);
    expect(checkViteGraph(graph, project)).toEqual([]);
    const s = scanOutput(project.out);
    expect(s.hits).toEqual([]);
    const r = runInPage(project.out);
    expectStun(r, /^\/assets\/wasmrtc-[\w-]+\.wasm$/);
    report("Vite default URL", ms, project.out, r.ms);
  }, 120000);
});
