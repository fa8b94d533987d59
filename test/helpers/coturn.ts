// Starts Debian's coturn `turnserver` on 127.0.0.1 for a test and stops it after.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
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
    // Relay only to loopback: virtual-network addresses must never leave this machine
    // (a relay that sends to an unreachable address also loses its socket in coturn).
    "--denied-peer-ip=0.0.0.0-126.255.255.255", "--denied-peer-ip=128.0.0.0-255.255.255.255",
    `--log-file=${process.env.COTURN_LOG ?? "stdout"}`, "--simple-log", ...(process.env.COTURN_LOG ? ["-V"] : []),
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  // Ready when it answers a STUN Binding request; bounded wait.
  const deadline = Date.now() + 10000;
  while (!(await answersStun(port))) {
    if (proc.exitCode !== null) throw new Error(`turnserver exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`turnserver not ready: ${out}`);
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

/** Probe: a bare RFC 8489 Binding request header; any reply means the server is up. */
function answersStun(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    const req = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 100);
    s.on("message", () => done(true));
    s.on("error", () => done(false));
    s.send(req, port, "127.0.0.1");
  });
}
