// UDP on node:dgram in a worker thread: a server's socket read and written by
// a thread of its own, handing datagrams to and from the main thread through
// two shared-memory rings (datagram-ring.ts).
//
// Why: on the main thread node:dgram reads at most 32 datagrams from a socket
// per event-loop turn (libuv's limit against starvation) and spends ~5 µs of
// the main thread on each one before any JavaScript sees it. A shared-port
// server whose turns are long (polling many connections) therefore cannot
// read its one socket faster than 32 × turns/s, and a flood takes those
// reads from the legitimate peers while the kernel drops the rest at the full
// socket. In a thread of its own the socket is read as fast as the kernel
// delivers, the receive and send costs leave the main thread, and the main
// thread takes everything that arrived in one go per turn.
//
// The cost: one more thread (and a core to run it on, for it to help), and
// ~tens of µs of hand-over latency per turn.
import { Worker } from "node:worker_threads";
import { ipFamily, type NetAddress } from "./address.js";
import { createRing, ipTextDecoder, ringFunctionsSource, ringKick, ringRead, ringUnkick, ringWrite, RING_DROPPED, type DatagramRing, type RingVisitor } from "./datagram-ring.js";
import type { BindOptions, DatagramSocket, Transport } from "./transport.js";
import { DEFAULT_SOCKET_BUFFER, NodeUdpTransport, unsendable, type NodeUdpOptions } from "./udp.js";

export interface NodeUdpThreadOptions extends NodeUdpOptions {
  /** Bytes of each ring (received, to send); a full ring drops like a full socket buffer. Default 1 MiB. */
  ringBytes?: number;
}

// ~40 ms of datagrams at 20,000/s: a queue that long under overload, not a bufferbloat of seconds (4 MiB did worse).
const DEFAULT_RING = 1024 * 1024;
/** Datagrams handed to the endpoint per call before the rest wait for the next turn (other work gets its turn). */
const MAX_PER_TURN = 4096;
/** Socket counters the thread keeps (Int32Array indices). */
const STAT_SEND_ERRORS = 0;
const STAT_RECEIVED = 1;
const STAT_INTS = 2;

interface ThreadInit {
  family: 4 | 6;
  ip: string;
  port: number;
  recvBufferSize: number;
  sendBufferSize: number;
  rxCtl: SharedArrayBuffer;
  rxBytes: SharedArrayBuffer;
  txCtl: SharedArrayBuffer;
  txBytes: SharedArrayBuffer;
  stats: SharedArrayBuffer;
}

interface ThreadRing {
  ipTextDecoder: typeof ipTextDecoder;
  ringWrite: typeof ringWrite;
  ringRead: typeof ringRead;
  ringKick: typeof ringKick;
  ringUnkick: typeof ringUnkick;
}

interface ThreadPort {
  postMessage(m: unknown): void;
  on(ev: "message", f: (m: unknown) => void): void;
  close(): void;
}

/**
 * The thread's whole program. It runs from its source text (Function.toString), so it uses only its
 * arguments: no imports, no names from this module.
 */
function udpThreadMain(init: ThreadInit, port: ThreadPort, dgram: typeof import("node:dgram"), f: ThreadRing): void {
  const attach = (ctl: SharedArrayBuffer, bytes: SharedArrayBuffer) => ({ ctl: new Int32Array(ctl), bytes: new Uint8Array(bytes), dv: new DataView(bytes) });
  const rx = attach(init.rxCtl, init.rxBytes);
  const tx = attach(init.txCtl, init.txBytes);
  const stats = new Int32Array(init.stats);
  const family = init.family;
  const sock = dgram.createSocket({
    type: family === 6 ? "udp6" : "udp4",
    recvBufferSize: init.recvBufferSize,
    sendBufferSize: init.sendBufferSize,
    ipv6Only: family === 6,
    lookup: ((address: string, _f: unknown, cb: (err: null, a: string, fam: number) => void) => cb(null, address, family)) as never,
  });
  let inFlight = 0;
  let closing = false;
  const finish = (): void => {
    try {
      sock.close();
    } catch {
      // already closed
    }
    port.close();
  };
  const sent = (err: Error | null): void => {
    if (err) Atomics.add(stats, 0, 1);  // STAT_SEND_ERRORS
    if (--inFlight === 0 && closing) finish();
  };
  const ipOf = f.ipTextDecoder();
  const sendOne = (data: Uint8Array, _fam: number, ipText: Uint8Array, to: number): void => {
    inFlight++;
    try {
      sock.send(Buffer.from(data), to, ipOf(ipText), sent);  // a copy: the ring's bytes are reused
    } catch {
      inFlight--;
      Atomics.add(stats, 0, 1);
    }
  };
  const drainTx = (): void => {
    f.ringUnkick(tx);
    f.ringRead(tx, sendOne);
  };
  // One wake-up for the main thread per turn of this thread (libuv reads up to 32 datagrams per turn), not one
  // per datagram.
  let wakeScheduled = false;
  const wake = (): void => {
    wakeScheduled = false;
    if (f.ringKick(rx)) port.postMessage(0);
  };
  sock.on("message", (msg: Uint8Array, rinfo: { family: string; address: string; port: number }) => {
    Atomics.add(stats, 1, 1);  // STAT_RECEIVED
    if (f.ringWrite(rx, msg, rinfo.family === "IPv6" ? 6 : 4, rinfo.address, rinfo.port) && !wakeScheduled) {
      wakeScheduled = true;
      setImmediate(wake);
    }
  });
  sock.on("error", () => Atomics.add(stats, 0, 1));
  port.on("message", (m: unknown) => {
    if (m === 0) {
      drainTx();
    } else if (m === "close" && !closing) {
      drainTx();  // a connection's last words (SCTP ABORT, DTLS close_notify) still go out
      closing = true;
      if (inFlight === 0) finish();
      else setTimeout(finish, 500).unref();
    }
  });
  const onBindError = (err: Error): void => {
    port.postMessage({ type: "error", message: err.message });
    finish();
  };
  sock.once("error", onBindError);
  sock.bind(init.port, init.ip, () => {
    sock.off("error", onBindError);
    const a = sock.address();
    port.postMessage({ type: "bound", ip: a.address, port: a.port });
  });
}

function threadSource(): string {
  return [
    'const { parentPort, workerData } = require("node:worker_threads");',
    ringFunctionsSource(),
    `(${udpThreadMain.toString()})(workerData, parentPort, require("node:dgram"), { ringWrite, ringRead, ringKick, ringUnkick, ipTextDecoder });`,
  ].join("\n");
}

class ThreadUdpSocket implements DatagramSocket {
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;
  /** Received views point into the ring and are reused: the endpoint copies what it keeps. */
  readonly stableBuffers = false;
  private closed = false;
  private readonly stats: Int32Array;
  private readonly ipOf = ipTextDecoder();

  constructor(private readonly worker: Worker, readonly local: NetAddress, private readonly rx: DatagramRing, private readonly tx: DatagramRing, stats: SharedArrayBuffer) {
    this.stats = new Int32Array(stats);
    worker.on("message", (m) => {
      if (m === 0) this.drainRx();
    });
  }

  /** Datagrams the thread could not send (as node:dgram's own send errors), plus those the full ring refused. */
  get sendErrors(): number {
    return Atomics.load(this.stats, STAT_SEND_ERRORS) + Atomics.load(this.tx.ctl, RING_DROPPED);
  }

  /** Counters: received by the thread, dropped because the receive ring was full, refused by the full send ring. */
  counters(): { received: number; receiveRingDrops: number; sendRingDrops: number; sendErrors: number } {
    return {
      received: Atomics.load(this.stats, STAT_RECEIVED) >>> 0,
      receiveRingDrops: Atomics.load(this.rx.ctl, RING_DROPPED) >>> 0,
      sendRingDrops: Atomics.load(this.tx.ctl, RING_DROPPED) >>> 0,
      sendErrors: Atomics.load(this.stats, STAT_SEND_ERRORS) >>> 0,
    };
  }

  send(data: Uint8Array, to: NetAddress): void {
    if (this.closed || unsendable(this.local, to)) {
      Atomics.add(this.stats, STAT_SEND_ERRORS, 1);
      return;
    }
    if (ringWrite(this.tx, data, to.family, to.ip, to.port) && ringKick(this.tx)) this.worker.postMessage(0);
  }

  private readonly deliver: RingVisitor = (data, family, ipText, port) => {
    const cb = this.onDatagram;
    if (cb) cb(data, { family: family === 6 ? 6 : 4, ip: this.ipOf(ipText), port });
  };

  private drainRx(): void {
    if (this.closed) return;
    ringUnkick(this.rx);
    const n = ringRead(this.rx, this.deliver, MAX_PER_TURN);
    // More than a turn's share: the rest on the next turn (no wake-up from the thread is coming for it).
    if (n === MAX_PER_TURN) setImmediate(() => this.drainRx());
  }

  /** Nothing is delivered afterwards; what was handed over still goes out, then the thread ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onDatagram = null;
    this.worker.postMessage("close");
    const w = this.worker;
    setTimeout(() => void w.terminate(), 2000).unref();
  }
}

/**
 * UDP sockets each served by a worker thread of its own (Node only): for servers that share one port among
 * many connections. Same options as NodeUdpTransport, plus the ring size.
 */
export class NodeUdpThreadTransport implements Transport {
  private readonly direct: NodeUdpTransport;

  constructor(private readonly opts: NodeUdpThreadOptions = {}) {
    this.direct = new NodeUdpTransport(opts);
  }

  bind(b: BindOptions): Promise<DatagramSocket> {
    const family = b.family ?? (b.ip ? (ipFamily(b.ip) === 6 ? 6 : 4) : 4);
    const ringBytes = this.opts.ringBytes ?? DEFAULT_RING;
    const rx = createRing(ringBytes);
    const tx = createRing(ringBytes);
    const stats = new SharedArrayBuffer(STAT_INTS * 4);
    const init: ThreadInit = {
      family,
      ip: b.ip ?? (family === 6 ? "::" : "0.0.0.0"),
      port: b.port ?? 0,
      recvBufferSize: this.opts.recvBufferSize ?? DEFAULT_SOCKET_BUFFER ?? 4 * 1024 * 1024,
      sendBufferSize: this.opts.sendBufferSize ?? DEFAULT_SOCKET_BUFFER ?? 4 * 1024 * 1024,
      rxCtl: rx.ctl.buffer as SharedArrayBuffer,
      rxBytes: rx.bytes.buffer as SharedArrayBuffer,
      txCtl: tx.ctl.buffer as SharedArrayBuffer,
      txBytes: tx.bytes.buffer as SharedArrayBuffer,
      stats,
    };
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        worker = new Worker(threadSource(), { eval: true, workerData: init, name: "wasmrtc-udp" });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const onFirst = (m: { type?: string; ip?: string; port?: number; message?: string }): void => {
        if (m?.type === "bound") {
          worker.off("message", onFirst);
          worker.off("error", onError);
          if (this.opts.unref) worker.unref();
          resolve(new ThreadUdpSocket(worker, { family, ip: m.ip!, port: m.port! }, rx, tx, stats));
        } else if (m?.type === "error") {
          worker.off("message", onFirst);
          reject(new Error(`UDP thread: bind ${init.ip}:${init.port}: ${m.message}`));
        }
      };
      const onError = (e: Error): void => reject(e);
      worker.on("message", onFirst);
      worker.once("error", onError);
    });
  }

  resolve(host: string): Promise<string | null> {
    return this.direct.resolve(host);
  }

  localAddresses(): string[] {
    return this.direct.localAddresses();
  }
}
