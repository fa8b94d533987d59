// WebRTCDataChannel and its PacketPeer side. The public methods validate and
// then call the extension virtuals (`_get_packet`, `_put_packet`, ...), as
// Godot's WebRTCDataChannelExtension does.
import { Error } from "./error.js";
import { printError } from "./log.js";
import { isVariantEncoding, wasmrtc_get_variant_encoding, type VariantEncoding } from "./variant3.js";
import { DEFAULT_ENCODE_MAX, decodePacketVar, encodePacketVar, roundEncodeMax } from "./packet_peer.js";

export const WriteMode = { WRITE_MODE_TEXT: 0, WRITE_MODE_BINARY: 1 } as const;
export type WriteMode = (typeof WriteMode)[keyof typeof WriteMode];
export const ChannelState = { STATE_CONNECTING: 0, STATE_OPEN: 1, STATE_CLOSING: 2, STATE_CLOSED: 3 } as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

const warned = new Set<string>();
function unimplemented(cls: string, method: string): void {
  const key = `${cls}.${method}`;
  if (warned.has(key)) return;
  warned.add(key);
  printError(`${key} must be overridden by a WebRTCDataChannelExtension.`);
}

/** Accepts Uint8Array (or any ArrayBufferView / ArrayBuffer) as PackedByteArray; null otherwise. */
export function asBytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return null;
}

export class WebRTCDataChannel {
  static readonly WRITE_MODE_TEXT = 0;
  static readonly WRITE_MODE_BINARY = 1;
  static readonly STATE_CONNECTING = 0;
  static readonly STATE_OPEN = 1;
  static readonly STATE_CLOSING = 2;
  static readonly STATE_CLOSED = 3;

  private encodeMax = DEFAULT_ENCODE_MAX;
  private lastPacketError: Error = Error.OK;
  private variantEncoding: VariantEncoding | null = null;  // wasmrtc: null follows the process default

  // ------------------------------------------------------------ PacketPeer
  put_packet(buffer: unknown): Error {
    const bytes = asBytes(buffer);
    if (!bytes) {
      printError("put_packet: the buffer must be a PackedByteArray (Uint8Array).");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (bytes.length === 0) return Error.OK;  // Godot: an empty packet is not sent
    return this._put_packet(bytes);
  }

  get_packet(): Uint8Array {
    const [err, data] = this._get_packet();
    this.lastPacketError = err;
    return err === Error.OK && data ? data : new Uint8Array(0);
  }

  get_packet_error(): Error {
    return this.lastPacketError;
  }

  get_available_packet_count(): number {
    return this._get_available_packet_count();
  }

  get_max_packet_size(): number {
    return this._get_max_packet_size();
  }

  put_var(value: unknown, full_objects = false): Error {
    const enc = encodePacketVar(value, full_objects === true, this.encodeMax, this.wasmrtc_variant_encoding);
    return enc.bytes ? this.put_packet(enc.bytes) : enc.error;
  }

  get_var(allow_objects = false): unknown {
    const [err, data] = this._get_packet();
    if (err !== Error.OK || !data) {
      printError(`get_var: no packet (error ${err}).`);
      return null;
    }
    return decodePacketVar(data, allow_objects === true, this.wasmrtc_variant_encoding);
  }

  /**
   * wasmrtc extension: the Variant encoding this channel's put_var / get_var
   * speak, "godot4" or "godot3" (a Godot 3.x peer). Unset (null), the channel
   * follows wasmrtc_set_variant_encoding (Godot 4 by default).
   */
  get wasmrtc_variant_encoding(): VariantEncoding {
    return this.variantEncoding ?? wasmrtc_get_variant_encoding();
  }
  set wasmrtc_variant_encoding(v: VariantEncoding | null) {
    if (v !== null && !isVariantEncoding(v)) {
      printError(`wasmrtc_variant_encoding must be "godot4", "godot3" or null (the process default), not ${String(v)}.`);
      return;
    }
    this.variantEncoding = v;
  }

  get encode_buffer_max_size(): number {
    return this.encodeMax;
  }
  set encode_buffer_max_size(v: number) {
    this.set_encode_buffer_max_size(v);
  }
  get_encode_buffer_max_size(): number {
    return this.encodeMax;
  }
  set_encode_buffer_max_size(v: unknown): void {
    this.encodeMax = roundEncodeMax(v) ?? this.encodeMax;
  }

  // ------------------------------------------------------------ channel
  get write_mode(): WriteMode {
    return this._get_write_mode();
  }
  set write_mode(m: WriteMode) {
    this.set_write_mode(m);
  }
  get_write_mode(): WriteMode {
    return this._get_write_mode();
  }
  set_write_mode(m: unknown): void {
    if (m !== 0 && m !== 1) {
      printError("write_mode must be WRITE_MODE_TEXT (0) or WRITE_MODE_BINARY (1).");
      return;
    }
    this._set_write_mode(m);
  }
  was_string_packet(): boolean {
    return this._was_string_packet();
  }
  get_ready_state(): ChannelState {
    return this._get_ready_state();
  }
  get_label(): string {
    return this._get_label();
  }
  is_ordered(): boolean {
    return this._is_ordered();
  }
  get_id(): number {
    return this._get_id();
  }
  get_max_packet_life_time(): number {
    return this._get_max_packet_life_time();
  }
  get_max_retransmits(): number {
    return this._get_max_retransmits();
  }
  get_protocol(): string {
    return this._get_protocol();
  }
  is_negotiated(): boolean {
    return this._is_negotiated();
  }
  get_buffered_amount(): number {
    return this._get_buffered_amount();
  }
  poll(): Error {
    return this._poll();
  }
  close(): void {
    this._close();
  }

  // ------------------------------------------------------------ virtuals (§5)
  _get_packet(): [Error, Uint8Array | null] {
    unimplemented("WebRTCDataChannel", "_get_packet");
    return [Error.ERR_UNCONFIGURED, null];
  }
  _put_packet(_data: Uint8Array): Error {
    unimplemented("WebRTCDataChannel", "_put_packet");
    return Error.ERR_UNCONFIGURED;
  }
  _get_available_packet_count(): number {
    return 0;
  }
  _get_max_packet_size(): number {
    return 16384;
  }
  _poll(): Error {
    return Error.OK;
  }
  _close(): void {}
  _set_write_mode(_m: WriteMode): void {
    unimplemented("WebRTCDataChannel", "_set_write_mode");
  }
  _get_write_mode(): WriteMode {
    return WriteMode.WRITE_MODE_BINARY;
  }
  _was_string_packet(): boolean {
    return false;
  }
  _get_ready_state(): ChannelState {
    return ChannelState.STATE_CLOSED;
  }
  _get_label(): string {
    return "";
  }
  _is_ordered(): boolean {
    return true;
  }
  _get_id(): number {
    return 65535;
  }
  _get_max_packet_life_time(): number {
    return 65535;
  }
  _get_max_retransmits(): number {
    return 65535;
  }
  _get_protocol(): string {
    return "";
  }
  _is_negotiated(): boolean {
    return false;
  }
  _get_buffered_amount(): number {
    return 0;
  }
}

/** Base class for data channel implementations (Godot's WebRTCDataChannelExtension). */
export class WebRTCDataChannelExtension extends WebRTCDataChannel {}
