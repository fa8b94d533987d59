// Our side in a scenario: a Godot WebRTCPeerConnection made by
// test/helpers/our-peer.ts, driven only through the Godot API: poll() every
// 5 ms, packets drained with get_packet / was_string_packet, optional echo
// with put_packet in the same write mode, states sampled after each poll.
import { WebRTCDataChannel, GodotError, type GodotChannel, type GodotPeer } from "../../helpers/our-peer.js";
import type { RemotePeer } from "./types.js";

export interface OurMessage {
  data: Uint8Array;
  isString: boolean;
  at: number;
}

export class OurChannel {
  readonly received: OurMessage[] = [];
  readonly states: number[] = [];
  echo = false;
  readonly echoResults: number[] = [];
  private cursor = 0;
  constructor(readonly label: string, readonly ch: GodotChannel, private readonly t0: number) {
    this.states.push(ch.get_ready_state());
  }
  /** Called after every poll(). */
  drain(): void {
    const s = this.ch.get_ready_state();
    if (this.states[this.states.length - 1] !== s) this.states.push(s);
    for (let i = 0; i < 10000 && this.ch.get_available_packet_count() > 0; i++) {
      const data = this.ch.get_packet();
      if (this.ch.get_packet_error() !== GodotError.OK) break;
      const isString = this.ch.was_string_packet();
      this.received.push({ data, isString, at: Date.now() - this.t0 });
      if (this.echo) this.echoResults.push(this.send(data, isString));
    }
  }
  /** put_packet in TEXT or BINARY write mode; returns the Godot Error code. */
  send(data: Uint8Array, asText: boolean): number {
    this.ch.write_mode = asText ? WebRTCDataChannel.WRITE_MODE_TEXT : WebRTCDataChannel.WRITE_MODE_BINARY;
    const r = this.ch.put_packet(data);
    this.ch.write_mode = WebRTCDataChannel.WRITE_MODE_BINARY;
    return r;
  }
  isOpen(): boolean {
    return this.ch.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
  }
  isClosed(): boolean {
    return this.ch.get_ready_state() === WebRTCDataChannel.STATE_CLOSED;
  }
  async nextMessage(timeoutMs: number): Promise<OurMessage> {
    const end = Date.now() + timeoutMs;
    while (this.cursor >= this.received.length) {
      if (Date.now() >= end) throw new Error(`timeout after ${timeoutMs} ms waiting for a message on our '${this.label}'`);
      await sleep(2);
    }
    return this.received[this.cursor++]!;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, timeoutMs: number, stepMs = 2): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() >= end) return cond();
    await sleep(stepMs);
  }
  return true;
}

export class OurPeer {
  readonly channels = new Map<string, OurChannel>();
  readonly states: number[] = [];
  readonly errors: string[] = [];
  readonly t0 = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private remoteSet = false;
  private early: Array<[string, number, string]> = [];
  readonly addCandidateResults: number[] = [];
  localCandidates = 0;

  constructor(readonly pc: GodotPeer) {
    this.states.push(pc.get_connection_state());
    pc.data_channel_received.connect((ch: GodotChannel) => {
      this.channels.set(ch.get_label(), new OurChannel(ch.get_label(), ch, this.t0));
    });
  }

  start(): this {
    this.timer ??= setInterval(() => this.tick(), 5);
    return this;
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
  tick(): void {
    this.pc.poll();
    const s = this.pc.get_connection_state();
    if (this.states[this.states.length - 1] !== s) this.states.push(s);
    for (const c of this.channels.values()) c.drain();
  }

  createChannel(label: string, options: Record<string, unknown>): OurChannel {
    const ch = this.pc.create_data_channel(label, options);
    if (!ch) throw new Error(`create_data_channel('${label}', ${JSON.stringify(options)}) returned null`);
    const c = new OurChannel(label, ch, this.t0);
    this.channels.set(label, c);
    return c;
  }

  /** A remote candidate: held until our remote description is set (Native refuses earlier ones). */
  addRemoteCandidate(mid: string, index: number, line: string): void {
    if (!this.remoteSet) {
      this.early.push([mid, index, line]);
      return;
    }
    this.addCandidateResults.push(this.pc.add_ice_candidate(mid, index, line));
  }

  setRemote(type: "offer" | "answer", sdp: string): number {
    const r = this.pc.set_remote_description(type, sdp);
    this.remoteSet = true;
    for (const c of this.early.splice(0)) this.addCandidateResults.push(this.pc.add_ice_candidate(...c));
    return r;
  }

  /**
   * Offer/answer and trickle ICE with `remote`, in either direction, through
   * session_description_created / ice_candidate_created and the Godot setters.
   */
  async signal(remote: RemotePeer, weOffer: boolean, timeoutMs = 15000): Promise<{ offer: string; answer: string; results: Record<string, number> }> {
    const results: Record<string, number> = {};
    this.pc.ice_candidate_created.connect((mid: string, index: number, name: string) => {
      this.localCandidates++;
      remote.addCandidate(mid, index, name).catch((e) => this.errors.push(`remote addCandidate(${name}): ${String(e)}`));
    });
    remote.onCandidate((mid, index, line) => this.addRemoteCandidate(mid, index, line));
    let local: { type: string; sdp: string } | null = null;
    this.pc.session_description_created.connect((type: string, sdp: string) => {
      local = { type, sdp };
      results.set_local_description = this.pc.set_local_description(type, sdp);
    });
    const waitLocal = async (type: string) => {
      if (!(await until(() => local !== null, timeoutMs))) throw new Error(`no session_description_created(${type}) within ${timeoutMs} ms`);
      if (local!.type !== type) throw new Error(`session_description_created gave ${local!.type}, expected ${type}`);
      return local!.sdp;
    };
    if (weOffer) {
      results.create_offer = this.pc.create_offer();
      const offer = await waitLocal("offer");
      const answer = await remote.acceptOffer(offer);
      results.set_remote_description = this.setRemote("answer", answer);
      return { offer, answer, results };
    }
    const offer = await remote.createOffer();
    results.set_remote_description = this.setRemote("offer", offer);
    const answer = await waitLocal("answer");
    await remote.acceptAnswer(answer);
    return { offer, answer, results };
  }
}
