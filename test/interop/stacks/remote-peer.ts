// The promise-based RemotePeer over a W3C core that runs either in this
// process (Node stacks) or in a Chromium page (the backend forwards calls).
import type { CoreEvent, SendPayload } from "./w3c-core.js";
import type { ChannelInfo, ChannelSpec, ReceivedMessage, RemoteChannel, RemotePeer, StackName } from "./types.js";

export interface CoreBackend {
  call(method: string, ...args: unknown[]): Promise<any>;  // eslint-disable-line @typescript-eslint/no-explicit-any
  /** How bytes travel to the core (the page gets base64). */
  payload(data: Uint8Array | string): SendPayload;
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e) => (clearTimeout(t), reject(e)));
  });

class CoreChannel implements RemoteChannel {
  readonly received: ReceivedMessage[] = [];
  private readonly openD = deferred();
  private readonly closeD = deferred();
  readonly opened = this.openD.promise;
  readonly closed = this.closeD.promise;
  private open = false;
  private shut = false;
  private cursor = 0;
  private waiters: Array<() => void> = [];
  lastInfo: ChannelInfo;

  constructor(readonly key: number, readonly label: string, info: ChannelInfo, private readonly backend: CoreBackend) {
    this.lastInfo = info;
  }
  onEvent(ev: CoreEvent): void {
    if (ev.t === "open") {
      this.lastInfo = ev.info;
      this.open = true;
      this.openD.resolve();
    } else if (ev.t === "close") {
      this.shut = true;
      this.closeD.resolve();
    } else if (ev.t === "message") {
      this.received.push({ data: ev.data, isString: ev.isString, at: ev.at });
      for (const w of this.waiters.splice(0)) w();
    }
  }
  isOpen(): boolean {
    return this.open && !this.shut;
  }
  isClosed(): boolean {
    return this.shut;
  }
  async info(): Promise<ChannelInfo> {
    this.lastInfo = await this.backend.call("info", this.key);
    return this.lastInfo;
  }
  send(data: Uint8Array | string): Promise<void> {
    return this.backend.call("send", this.key, this.backend.payload(data));
  }
  setEcho(on: boolean): Promise<void> {
    return this.backend.call("setEcho", this.key, on);
  }
  bufferedAmount(): Promise<number> {
    return this.backend.call("bufferedAmount", this.key);
  }
  close(): Promise<void> {
    return this.backend.call("closeChannel", this.key);
  }
  async nextMessage(timeoutMs: number): Promise<ReceivedMessage> {
    const end = Date.now() + timeoutMs;
    while (this.cursor >= this.received.length) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout after ${timeoutMs} ms waiting for a message on '${this.label}'`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.received[this.cursor++]!;
  }
}

export class CoreRemotePeer implements RemotePeer {
  readonly channels = new Map<string, RemoteChannel>();
  readonly states: string[] = [];
  /** iceConnectionState values seen, in order. */
  readonly iceStates: string[] = [];
  readonly errors: string[] = [];
  private readonly byKey = new Map<number, CoreChannel>();
  private readonly orphanEvents = new Map<number, CoreEvent[]>();
  private readonly candidates: Array<[string, number, string]> = [];
  private candidateCbs: Array<(mid: string, index: number, line: string) => void> = [];
  private channelCbs: Array<(ch: RemoteChannel) => void> = [];
  private stateWaiters: Array<() => void> = [];
  private current = "new";

  constructor(readonly stack: StackName, private readonly backend: CoreBackend) {}

  /** Events from the core, in the order it emitted them. */
  handleEvent(ev: CoreEvent): void {
    switch (ev.t) {
      case "candidate":
        this.candidates.push([ev.mid, ev.index, ev.line]);
        for (const cb of this.candidateCbs) cb(ev.mid, ev.index, ev.line);
        return;
      case "channel": {
        const ch = this.register(ev.key, ev.info);
        for (const cb of this.channelCbs) cb(ch);
        return;
      }
      case "state":
        if (this.states[this.states.length - 1] !== ev.state) this.states.push(ev.state);
        if (this.iceStates[this.iceStates.length - 1] !== ev.ice) this.iceStates.push(ev.ice);
        this.current = ev.state;
        for (const w of this.stateWaiters.splice(0)) w();
        return;
      case "error":
        this.errors.push(ev.message);
        return;
      default: {
        const ch = this.byKey.get(ev.key);
        if (ch) ch.onEvent(ev);
        else this.orphanEvents.set(ev.key, [...(this.orphanEvents.get(ev.key) ?? []), ev]);
      }
    }
  }

  private register(key: number, info: ChannelInfo): CoreChannel {
    const ch = new CoreChannel(key, info.label, info, this.backend);
    this.byKey.set(key, ch);
    this.channels.set(info.label, ch);
    for (const ev of this.orphanEvents.get(key) ?? []) ch.onEvent(ev);
    this.orphanEvents.delete(key);
    return ch;
  }

  createOffer(): Promise<string> {
    return this.backend.call("createOffer");
  }
  acceptOffer(sdp: string): Promise<string> {
    return this.backend.call("acceptOffer", sdp);
  }
  acceptAnswer(sdp: string): Promise<void> {
    return this.backend.call("acceptAnswer", sdp);
  }
  addCandidate(mid: string, index: number, line: string): Promise<void> {
    return this.backend.call("addCandidate", mid, index, line);
  }
  onCandidate(cb: (mid: string, index: number, line: string) => void): void {
    this.candidateCbs.push(cb);
    for (const c of this.candidates) cb(...c);
  }
  onChannel(cb: (ch: RemoteChannel) => void): void {
    this.channelCbs.push(cb);
  }
  async waitChannel(label: string, timeoutMs: number): Promise<RemoteChannel> {
    const have = this.channels.get(label);
    if (have) return have;
    const d = deferred<RemoteChannel>();
    this.onChannel((ch) => ch.label === label && d.resolve(ch));
    return withTimeout(d.promise, timeoutMs, `channel '${label}' announced on ${this.stack}`);
  }
  async createChannel(spec: ChannelSpec): Promise<RemoteChannel> {
    const r = (await this.backend.call("createChannel", { ...spec })) as { key: number; info: ChannelInfo };
    return this.register(r.key, { ...r.info, label: spec.label });
  }
  connectionState(): string {
    return this.current;
  }
  async waitState(pred: (s: string) => boolean, timeoutMs: number): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!pred(this.current)) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout after ${timeoutMs} ms waiting for a state on ${this.stack} (now ${this.current}; seen ${this.states.join(",")})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.stateWaiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.current;
  }
  /** A core method beyond RemotePeer's (w3c-core.ts: restartIce, descriptions, selectedPair). */
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.backend.call(method, ...args);
  }
  maxMessageSize(): Promise<number | null> {
    return this.backend.call("maxMessageSize");
  }
  close(): Promise<void> {
    return this.backend.call("close");
  }
}

export { withTimeout, deferred };
