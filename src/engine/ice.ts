// A handle on one ICE agent inside an endpoint (native/ice/ice_agent.h).
// Events arrive as the pump drains the core; the Godot layer queues them for poll().
import type { NetAddress } from "../net/address.js";

export const enum IceState {
  New = 0,
  Checking = 1,
  Connected = 2,
  Disconnected = 3,
  Failed = 4,
  Closed = 5,
}

export interface IceAgentOptions {
  controlling?: boolean;
  ufrag?: string;
  pwd?: string;
  /** Gather and pair only relayed candidates. */
  relayOnly?: boolean;
  /** Act as an ICE-lite agent (answer checks only). */
  lite?: boolean;
  consentIntervalMs?: number;
  disconnectedAfterMs?: number;
  failedAfterMs?: number;
  checkingTimeoutMs?: number;
  stunServers?: NetAddress[];
  turnServers?: Array<{ address: NetAddress; username: string; credential: string }>;
}

export interface IceAgentEvents {
  onCandidate?(line: string): void;
  onGatheringComplete?(): void;
  onState?(state: IceState, reason: string): void;
  onSelectedPair?(description: string): void;
  onData?(data: Uint8Array): void;
  onTurnError?(reason: string): void;
}

/** Implemented by Endpoint: the commands an agent handle needs. */
export interface IceHost {
  iceCommand<T>(fn: (abi: IceAbi, handle: number, nowUs: number) => T): T;
  writeString(s: string): [number, number];
  writeBytes(b: Uint8Array): [number, number];
  writeIpAt(ptr: number, ip: string, family: 4 | 6): boolean;
  forgetAgent(id: number): void;
}

export interface IceAbi {
  wr_ice_local_credentials(h: number, id: number, out: number, cap: number): number;
  wr_ice_gather(h: number, id: number, nowUs: number): number;
  wr_ice_set_remote(h: number, id: number, u: number, ul: number, p: number, pl: number): number;
  wr_ice_add_remote_candidate(h: number, id: number, nowUs: number, line: number, len: number): number;
  wr_ice_end_remote(h: number, id: number, nowUs: number): number;
  wr_ice_send(h: number, id: number, p: number, len: number): number;
  wr_ice_close(h: number, id: number): number;
  wr_ice_set_remote_lite(h: number, id: number, lite: number): number;
  wr_ice_resolved(h: number, id: number, nowUs: number, name: number, len: number, family: number, ip: number): number;
}

export type AddCandidateResult = "ok" | "malformed" | "refused" | "closed";

export class IceAgentHandle implements IceAgentEvents {
  onCandidate?(line: string): void;
  onGatheringComplete?(): void;
  onState?(state: IceState, reason: string): void;
  onSelectedPair?(description: string): void;
  onData?(data: Uint8Array): void;
  onTurnError?(reason: string): void;

  state: IceState = IceState.New;
  readonly localCandidates: string[] = [];
  gatheringComplete = false;
  selectedPair = "";
  closed = false;

  constructor(private readonly host: IceHost, readonly id: number, readonly ufrag: string, readonly pwd: string) {}

  gather(): void {
    if (!this.closed) this.host.iceCommand((abi, h, now) => abi.wr_ice_gather(h, this.id, now));
  }

  setRemoteCredentials(ufrag: string, pwd: string): boolean {
    if (this.closed) return false;
    return this.host.iceCommand((abi, h) => {
      const [u, ul] = this.host.writeString(ufrag);
      const [p, pl] = this.host.writeString(pwd);
      return abi.wr_ice_set_remote(h, this.id, u, ul, p, pl) === 0;
    });
  }

  addRemoteCandidate(line: string): AddCandidateResult {
    if (this.closed) return "closed";
    const r = this.host.iceCommand((abi, h, now) => {
      const [p, l] = this.host.writeString(line);
      return abi.wr_ice_add_remote_candidate(h, this.id, now, p, l);
    });
    return r === 0 ? "ok" : r === -2 ? "malformed" : "refused";
  }

  /** The remote SDP said a=ice-lite: we take the controlling role (RFC 8445 §6.1.1). */
  setRemoteLite(lite: boolean): void {
    if (!this.closed) this.host.iceCommand((abi, h) => abi.wr_ice_set_remote_lite(h, this.id, lite ? 1 : 0));
  }

  endOfCandidates(): void {
    if (!this.closed) this.host.iceCommand((abi, h, now) => abi.wr_ice_end_remote(h, this.id, now));
  }

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    return this.host.iceCommand((abi, h) => {
      const [p, l] = this.host.writeBytes(data);
      return abi.wr_ice_send(h, this.id, p, l) === 0;
    });
  }

  /** @internal The endpoint's answer to a resolution request. */
  host_resolved(name: string, ip: string | null): void {
    if (this.closed) return;
    this.host.iceCommand((abi, h, now) => {
      const [n, nl] = this.host.writeString(name);
      const [ipPtr] = this.host.writeBytes(new Uint8Array(16));
      const family = ip ? (ip.includes(":") ? 6 : 4) : 0;
      if (ip && !this.host.writeIpAt(ipPtr, ip, family as 4 | 6)) return abi.wr_ice_resolved(h, this.id, now, n, nl, 0, ipPtr);
      return abi.wr_ice_resolved(h, this.id, now, n, nl, family, ipPtr);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.iceCommand((abi, h) => abi.wr_ice_close(h, this.id));
    this.host.forgetAgent(this.id);
  }
}
