// The receive queue and state every data channel implementation shares. The
// transport below (browser, engine, test double) hands over messages and state
// changes; the owning peer connection applies them inside poll(), so what the
// application sees changes only there, in the order it happened.
import { Error } from "./error.js";
import { printError } from "./log.js";
import { ChannelState, WebRTCDataChannelExtension, WriteMode } from "./data_channel.js";

export interface ChannelInit {
  label: string;
  ordered: boolean;
  /** 65535 when unset (class reference). */
  id: number;
  maxPacketLifeTime: number;
  maxRetransmits: number;
  protocol: string;
  negotiated: boolean;
}

export abstract class QueuedDataChannel extends WebRTCDataChannelExtension {
  protected readyState: ChannelState = ChannelState.STATE_CONNECTING;
  private readonly queue: Array<{ data: Uint8Array; isString: boolean }> = [];
  private head = 0;
  private lastWasString = false;
  private mode: WriteMode = WriteMode.WRITE_MODE_BINARY;

  constructor(protected readonly init: ChannelInit) {
    super();
  }

  /** Transport side: a message arrived (applied by the owner inside poll()). */
  deliver(data: Uint8Array, isString: boolean): void {
    this.queue.push({ data, isString });
  }

  /** Transport side: the state changed (applied by the owner inside poll()). */
  setReadyState(s: ChannelState): void {
    this.readyState = s;
  }

  setId(id: number): void {
    this.init.id = id;
  }

  /** Sends one message; the transport decides how. */
  protected abstract transportSend(data: Uint8Array, isString: boolean): Error;
  protected abstract transportClose(): void;
  protected transportBufferedAmount(): number {
    return 0;
  }
  /** Largest message the remote accepts (a=max-message-size; 65536 when absent). */
  protected transportMaxMessageSize(): number {
    return 65536;
  }

  override _put_packet(data: Uint8Array): Error {
    if (this.readyState !== ChannelState.STATE_OPEN) {
      printError(this.readyState === ChannelState.STATE_CONNECTING ? "DataChannel not open." : "DataChannel is closed.");
      return Error.FAILED;
    }
    const max = this.transportMaxMessageSize();
    if (data.length > max) {
      printError(`Message size ${data.length} exceeds the limit ${max}; nothing was sent.`);
      return Error.FAILED;
    }
    // TEXT mode sends a string message with the bytes unchanged (no NUL truncation, no re-encoding).
    return this.transportSend(data, this.mode === WriteMode.WRITE_MODE_TEXT);
  }

  override _get_packet(): [Error, Uint8Array | null] {
    if (this.head >= this.queue.length) {
      printError("No packet available.");
      return [Error.ERR_UNAVAILABLE, null];
    }
    const p = this.queue[this.head]!;
    this.queue[this.head] = undefined as never;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.lastWasString = p.isString;
    return [Error.OK, p.data];
  }

  override _get_available_packet_count(): number {
    return this.queue.length - this.head;
  }
  override _get_max_packet_size(): number {
    return this.transportMaxMessageSize();
  }
  override _close(): void {
    if (this.readyState === ChannelState.STATE_CLOSED) return;
    this.readyState = ChannelState.STATE_CLOSED;  // packets already received stay readable
    this.transportClose();
  }
  override _set_write_mode(m: WriteMode): void {
    this.mode = m;
  }
  override _get_write_mode(): WriteMode {
    return this.mode;
  }
  override _was_string_packet(): boolean {
    return this.lastWasString;
  }
  override _get_ready_state(): ChannelState {
    return this.readyState;
  }
  override _get_label(): string {
    return this.init.label;
  }
  override _is_ordered(): boolean {
    return this.init.ordered;
  }
  override _get_id(): number {
    return this.init.id;
  }
  override _get_max_packet_life_time(): number {
    return this.init.maxPacketLifeTime;
  }
  override _get_max_retransmits(): number {
    return this.init.maxRetransmits;
  }
  override _get_protocol(): string {
    return this.init.protocol;
  }
  override _is_negotiated(): boolean {
    return this.init.negotiated;
  }
  override _get_buffered_amount(): number {
    return this.readyState === ChannelState.STATE_CLOSED ? 0 : this.transportBufferedAmount();
  }
}
