// The part of every remote peer that touches the stack: a W3C
// RTCPeerConnection (werift, @roamhq/wrtc, node-datachannel's polyfill, or a
// browser's own). It is one self-contained function so the very same code runs
// in Node and, through Function.prototype.toString, inside a Chromium page.
// Everything it observes goes out through env.emit as plain events.
/* eslint-disable @typescript-eslint/no-explicit-any */

export interface CoreEnv {
  PC: new (cfg?: unknown) => any;
  config: Record<string, unknown>;
  emit: (ev: CoreEvent) => void;
  now: () => number;
  /** Turns bytes into what this stack's send() takes for a binary message. */
  sendable: (u8: Uint8Array) => unknown;
  /** Decodes base64 (the page gets bytes as base64 from the Node side). */
  fromB64: (s: string) => Uint8Array;
}

export type CoreEvent =
  | { t: "candidate"; mid: string; index: number; line: string }
  | { t: "channel"; key: number; info: any }
  | { t: "open"; key: number; info: any }
  | { t: "close"; key: number }
  | { t: "message"; key: number; isString: boolean; data: Uint8Array; at: number }
  | { t: "state"; state: string; ice: string }
  | { t: "error"; key?: number; message: string };

export type SendPayload = { text: string } | { bytes: Uint8Array } | { b64: string };

export function w3cPeerCore(env: CoreEnv) {
  const enc = new TextEncoder();
  const pc = new env.PC(env.config);
  const chans = new Map<number, { dc: any; echo: boolean }>();
  let nextKey = 1;
  let haveRemote = false;
  const early: any[] = [];
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const info = (dc: any) => ({
    label: String(dc.label),
    id: num(dc.id),
    ordered: dc.ordered !== false,
    maxRetransmits: num(dc.maxRetransmits),
    maxPacketLifeTime: num(dc.maxPacketLifeTime ?? dc.maxRetransmitTime),
    protocol: String(dc.protocol ?? ""),
    negotiated: !!dc.negotiated,
    readyState: String(dc.readyState),
  });
  const toBytes = (d: any): Uint8Array | null => {
    if (typeof d === "string") return enc.encode(d);
    if (d instanceof ArrayBuffer) return new Uint8Array(d.slice(0));
    if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
    return null;
  };
  const wire = (dc: any) => {
    const key = nextKey++;
    const st = { dc, echo: false };
    chans.set(key, st);
    try {
      dc.binaryType = "arraybuffer";
    } catch {
      // werift has no binaryType (it hands out Buffers)
    }
    dc.onopen = () => env.emit({ t: "open", key, info: info(dc) });
    dc.onclose = () => env.emit({ t: "close", key });
    dc.onmessage = (e: any) => {
      const d = e.data;
      const isString = typeof d === "string";
      const bytes = toBytes(d);
      if (!bytes) {
        env.emit({ t: "error", key, message: `unsupported message type ${Object.prototype.toString.call(d)}` });
        return;
      }
      if (st.echo) {
        try {
          dc.send(isString ? d : env.sendable(bytes));
        } catch (err) {
          env.emit({ t: "error", key, message: `echo send failed: ${String(err)}` });
        }
      }
      env.emit({ t: "message", key, isString, data: bytes, at: env.now() });
    };
    return key;
  };
  pc.onicecandidate = (e: any) => {
    const c = e?.candidate;
    if (!c || !c.candidate) return;
    let line = String(c.candidate);
    if (line.startsWith("a=")) line = line.slice(2);
    env.emit({ t: "candidate", mid: c.sdpMid == null ? "0" : String(c.sdpMid), index: typeof c.sdpMLineIndex === "number" ? c.sdpMLineIndex : 0, line });
  };
  pc.ondatachannel = (e: any) => {
    const dc = e.channel;
    const key = wire(dc);
    env.emit({ t: "channel", key, info: info(dc) });
    if (dc.readyState === "open") env.emit({ t: "open", key, info: info(dc) });
  };
  const state = () => ({ state: String(pc.connectionState ?? pc.iceConnectionState), ice: String(pc.iceConnectionState) });
  pc.onconnectionstatechange = () => env.emit({ t: "state", ...state() });
  pc.oniceconnectionstatechange = () => env.emit({ t: "state", ...state() });
  const flush = async () => {
    haveRemote = true;
    for (const c of early.splice(0)) {
      await pc.addIceCandidate(c).catch((err: unknown) => env.emit({ t: "error", message: `addIceCandidate: ${String(err)}` }));
    }
  };
  const chan = (key: number) => {
    const st = chans.get(key);
    if (!st) throw new Error(`no channel ${key}`);
    return st;
  };
  return {
    async createChannel(spec: { label: string } & Record<string, unknown>) {
      const { label, ...init } = spec;
      const dc = pc.createDataChannel(label, init);
      const key = wire(dc);
      if (dc.readyState === "open") queueMicrotask(() => env.emit({ t: "open", key, info: info(dc) }));
      return { key, info: info(dc) };
    },
    async createOffer() {
      const o = await pc.createOffer();
      await pc.setLocalDescription(o);
      return String(o?.sdp || pc.localDescription?.sdp);
    },
    async acceptOffer(sdp: string) {
      await pc.setRemoteDescription({ type: "offer", sdp });
      await flush();
      const a = await pc.createAnswer();
      await pc.setLocalDescription(a);
      return String(a?.sdp || pc.localDescription?.sdp);
    },
    async acceptAnswer(sdp: string) {
      await pc.setRemoteDescription({ type: "answer", sdp });
      await flush();
    },
    async addCandidate(mid: string, index: number, line: string) {
      let s = line.trim();
      if (s.startsWith("a=")) s = s.slice(2);
      if (!s.startsWith("candidate:")) s = `candidate:${s}`;
      const c = { candidate: s, sdpMid: mid, sdpMLineIndex: index };
      if (!haveRemote) {
        early.push(c);
        return;
      }
      await pc.addIceCandidate(c);
    },
    async send(key: number, p: SendPayload) {
      const { dc } = chan(key);
      if ("text" in p) dc.send(p.text);
      else dc.send(env.sendable("bytes" in p ? p.bytes : env.fromB64(p.b64)));
    },
    async setEcho(key: number, on: boolean) {
      chan(key).echo = on;
    },
    async closeChannel(key: number) {
      chan(key).dc.close();
    },
    async info(key: number) {
      return info(chan(key).dc);
    },
    async bufferedAmount(key: number) {
      return Number(chan(key).dc.bufferedAmount ?? 0);
    },
    async state() {
      return state();
    },
    async maxMessageSize() {
      const m = pc.sctp?.maxMessageSize;
      return typeof m === "number" ? m : null;
    },
    async close() {
      pc.close();
    },
    // ICE restart and renegotiation tests (test/interop/ice-restart-chromium.test.ts).
    async restartIce() {
      pc.restartIce();
    },
    async descriptions() {
      return { local: String(pc.localDescription?.sdp ?? ""), remote: String(pc.remoteDescription?.sdp ?? ""), signaling: String(pc.signalingState) };
    },
    /** The selected candidate pair as getStats() reports it ("ip:port" each side), or null. */
    async selectedPair() {
      const stats = await pc.getStats();
      let pairId: string | undefined;
      stats.forEach((r: any) => {
        if (r.type === "transport" && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
      });
      const pair = pairId ? stats.get(pairId) : undefined;
      if (!pair) return null;
      const at = (id: string) => {
        const c = stats.get(id);
        return c ? `${c.address ?? c.ip}:${c.port}` : "?";
      };
      return { local: at(pair.localCandidateId), remote: at(pair.remoteCandidateId), state: String(pair.state) };
    },
  };
}

export type W3CCore = ReturnType<typeof w3cPeerCore>;
export type CoreMethod = Exclude<keyof W3CCore, never>;
