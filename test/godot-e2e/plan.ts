// What the Godot end-to-end scenarios send, and what Godot's rules say each
// peer must receive: shared by the harness (to know how many packets to wait
// for) and the test (which compares every record with it).

/** MultiplayerPeer.TransferMode. */
export const RELIABLE = 2;
export const ORDERED = 1;
export const UNRELIABLE = 0;
export const MODES = [RELIABLE, ORDERED, UNRELIABLE] as const;
/** channels_config of every peer: one extra channel (transfer_channel 1), TRANSFER_MODE_UNRELIABLE (an unordered SCTP stream, id 4). */
export const CHANNELS_CONFIG = [UNRELIABLE];

/** The mode get_packet_mode() reports for a packet sent on `channel` in `mode`: a channels_config channel has its own. */
export const modeOf = (channel: number, mode: number) => (channel > 0 ? CHANNELS_CONFIG[channel - 1]! : mode);

export interface Send {
  /** Agent name of the sender. */
  from: string;
  /** set_target_peer / send_bytes id: > 0 one peer, 0 everyone, −N everyone but N. */
  target: number;
  mode: number;
  channel: number;
  /** Position in the sender's plan (ordered channels keep it). */
  seq: number;
  hex: string;
}

export interface Delivery {
  to: string;
  from: number;
  channel: number;
  mode: number;
  hex: string;
  seq: number;
}

const hex = (u8: Uint8Array) => Buffer.from(u8).toString("hex");

/** A payload naming itself, then a binary pattern (all byte values over the scenario) of varying length. */
export function payload(label: string, k: number): string {
  const head = new TextEncoder().encode(label);
  const n = 8 + ((k * 97) % 300);
  const out = new Uint8Array(head.length + 1 + n);
  out.set(head);
  out[head.length] = 0;
  for (let i = 0; i < n; i++) out[head.length + 1 + i] = (k * 13 + i * 7) & 0xff;
  return hex(out);
}

export class Planner {
  readonly sends: Send[] = [];
  private k = 0;
  private readonly seq = new Map<string, number>();

  constructor(readonly scenario: string) {}

  add(from: string, target: number, mode: number, channel = 0): Send {
    const seq = this.seq.get(from) ?? 0;
    this.seq.set(from, seq + 1);
    const s: Send = { from, target, mode, channel, seq, hex: payload(`${this.scenario}:${from}>${target}:m${mode}:c${channel}:${seq}`, this.k++) };
    this.sends.push(s);
    return s;
  }

  by(from: string): Send[] {
    return this.sends.filter((s) => s.from === from);
  }
}

/** Who gets a packet aimed at `target` from `from` among `ids` (name → id): Godot's put_packet / send_bytes targeting. */
export function receivers(ids: Record<string, number>, from: string, target: number): string[] {
  const names = Object.keys(ids).filter((n) => n !== from);
  if (target > 0) return names.filter((n) => ids[n] === target);
  if (target === 0) return names;
  return names.filter((n) => ids[n] !== -target);
}

/** Every packet each peer must read, with the source id, channel and mode get_packet_peer/channel/mode must report. */
export function deliveries(ids: Record<string, number>, sends: Send[]): Delivery[] {
  const out: Delivery[] = [];
  for (const s of sends) {
    for (const to of receivers(ids, s.from, s.target)) {
      out.push({ to, from: ids[s.from]!, channel: s.channel, mode: modeOf(s.channel, s.mode), hex: s.hex, seq: s.seq });
    }
  }
  return out;
}

export const countFor = (ds: Delivery[], to: string) => ds.filter((d) => d.to === to).length;
