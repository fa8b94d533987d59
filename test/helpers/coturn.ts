// Starts Debian's coturn `turnserver` on 127.0.0.1 for a test and stops it after.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { freeUdpPort } from "./ports.js";

export interface Coturn {
  port: number;
  user: string;
  password: string;
  realm: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export const haveCoturn = (): boolean => existsSync("/usr/bin/turnserver");

export async function startCoturn(opts: { user?: string; password?: string; realm?: string } = {}): Promise<Coturn> {
  const port = await freeUdpPort();
  const user = opts.user ?? "u";
  const password = opts.password ?? "p";
  const realm = opts.realm ?? "test";
  const relayMin = 40000 + Math.floor(Math.random() * 10000);
  const proc = spawn("turnserver", [
    "--listening-ip=127.0.0.1", `--listening-port=${port}`, "--relay-ip=127.0.0.1",
    `--min-port=${relayMin}`, `--max-port=${relayMin + 200}`,
    "--lt-cred-mech", `--user=${user}:${password}`, `--realm=${realm}`,
    "--no-cli", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-tcp-relay",
    "--log-file=stdout", "--simple-log", "--no-stdout-log=false",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  // Ready when it reports its listener; bounded wait.
  const deadline = Date.now() + 10000;
  while (!/listener opened|Total General servers|IPv4. UDP listener/.test(out)) {
    if (proc.exitCode !== null) throw new Error(`turnserver exited: ${out}`);
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, user, password, realm, proc,
    output: () => out,
    stop: () =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null) return res();
        proc.once("exit", () => res());
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 2000).unref();
      }),
  };
}
