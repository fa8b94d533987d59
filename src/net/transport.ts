// The one small interface every transport implements (UDP, virtual, relay).
import type { NetAddress } from "./address.js";

export interface DatagramSocket {
  readonly local: NetAddress;
  /** Sends one datagram; never throws for a bad address or a closed socket (the error is counted). */
  send(data: Uint8Array, to: NetAddress): void;
  /**
   * Called for every datagram received. `data` may be a view valid only during
   * the callback; keep a copy if it must outlive it.
   */
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null;
  /** True when a received `data` stays valid after the callback, so the receiver need not copy it. */
  readonly stableBuffers?: boolean;
  /** Idempotent; nothing is delivered afterwards. */
  close(): void;
}

export interface BindOptions {
  ip?: string;
  port?: number;
  family?: 4 | 6;
}

export interface Transport {
  bind(opts: BindOptions): Promise<DatagramSocket>;
  /** The IPs candidates may be gathered on. */
  localAddresses(): string[];
  /** Host name / mDNS resolution where the transport can do it. */
  resolve?(host: string): Promise<string | null>;
}
