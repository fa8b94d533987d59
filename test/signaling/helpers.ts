// Test helpers for the signaling server: a raw client speaking the demo's JSON
// frames by hand, a redis-server of the test's own, and the CLI as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = process.env.SIGNALING_CLI ?? join(ROOT, "dist/signaling-cli.js");

export interface Msg {
  type: number;
  id: number;
  data: string;
}

/** One WebSocket speaking JSON frames by hand, keeping every frame it receives. */
export class RawPeer {
  readonly got: Msg[] = [];
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d, isBinary) => {
      const text = d.toString();
      this.raw.push(isBinary ? `<binary>${text}` : text);
      try {
        this.got.push(JSON.parse(text) as Msg);
      } catch {
        this.got.push({ type: -1, id: -1, data: text });
      }
      this.wake();
    });
    ws.on("error", () => undefined);
    this.closed = new Promise((r) => ws.on("close", (code, reason) => {
      r({ code, reason: reason.toString() });
      this.wake();
    }));
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<RawPeer> {
    const ws = new WebSocket(url, { headers });
    const p = new RawPeer(ws);
    await new Promise<void>((res, rej) => {
      ws.once("open", () => res());
      ws.once("error", rej);
      ws.once("unexpected-response", (_req, r) => rej(new Error(`HTTP ${r.statusCode}`)));
    });
    return p;
  }

  send(type: number, id: number, data = ""): void {
    this.ws.send(JSON.stringify({ type, id, data }));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Waits until `n` frames have arrived (the socket closing ends the wait). */
  async count(n: number, ms = 3000): Promise<Msg[]> {
    const end = Date.now() + ms;
    while (this.got.length < n && Date.now() < end && this.ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, Math.max(1, end - Date.now()));
      });
    }
    return this.got;
  }

  /** The first frame of this type not taken yet. */
  async take(type: number, ms = 3000): Promise<Msg> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.got.findIndex((m, k) => !this.taken.has(k) && m.type === type);
      if (i >= 0) {
        this.taken.add(i);
        return this.got[i]!;
      }
      if (Date.now() > end || this.ws.readyState > WebSocket.OPEN) throw new Error(`no message of type ${type}; got ${JSON.stringify(this.got)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }
  private readonly taken = new Set<number>();

  /** Creates (lobby "") or joins a lobby; resolves with the assigned id and the lobby name. */
  async join(lobby = "", mesh = true): Promise<{ id: number; lobby: string; mesh: boolean }> {
    this.send(0, mesh ? 0 : 1, lobby);
    const idMsg = await this.take(1);
    const joined = await this.take(0);
    return { id: idMsg.id, lobby: joined.data, mesh: idMsg.data === "true" };
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface RedisServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** A redis-server of our own on a free port, without persistence; stop() kills it. */
export async function startRedis(port?: number): Promise<RedisServer> {
  port ??= await freeTcpPort();
  const child = spawn("/usr/bin/redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d.toString()));
  child.stderr!.on("data", (d) => (out += d.toString()));
  const end = Date.now() + 5000;
  while (!/Ready to accept connections/.test(out)) {
    if (Date.now() > end || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start: ${out}`);
    }
    await sleep(20);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await gone;
    },
  };
}

export interface CliProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** SIGTERM, resolving with the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Refuses to test a dist/signaling-cli.js older than the sources (npm run build:ts rebuilds it). */
export function assertCliFresh(): void {
  if (process.env.SIGNALING_CLI) return;
  const built = statSync(CLI, { throwIfNoEntry: false });
  if (!built) throw new Error("dist/signaling-cli.js is missing: run npm run build:ts");
  const dir = join(ROOT, "src/signaling");
  for (const f of readdirSync(dir)) {
    if (statSync(join(dir, f)).mtimeMs > built.mtimeMs) throw new Error(`src/signaling/${f} is newer than dist/signaling-cli.js: run npm run build:ts`);
  }
}

export async function spawnCli(args: string[]): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI, "--port", "0", "--host", "127.0.0.1", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err += d.toString()));
  child.stdout!.on("data", () => undefined);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const end = Date.now() + 5000;
  while (!/listening on (ws:\/\/\S+)/.test(err)) {
    if (Date.now() > end || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`no listening line: ${err}`);
    }
    await sleep(20);
  }
  return {
    url: /listening on (ws:\/\/\S+)/.exec(err)![1]!,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      return Promise.race([exited, sleep(5000).then(() => {
        child.kill("SIGKILL");
        return -1;
      })]);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}
