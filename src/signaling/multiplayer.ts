// Godot's client/multiplayer_client.gd (Godot 4) over SignalingClient: it
// configures a WebRTCMultiplayerPeer when the server assigns an id, makes one
// WebRTCPeerConnection per announced member, and carries descriptions and
// candidates between the connections and the server.
//
// Who offers: multiplayer_client.gd calls create_offer() when the member's id
// is lower than its own ("so lobby creator never creates offers": the host is
// 1, the lowest). Older (Godot 3) versions of the demo had it the other way.
import { Error } from "../godot/error.js";
import { WebRTCPeerConnection } from "../godot/peer_connection.js";
import type { SignalingClient } from "./client.js";

/** The part of WebRTCMultiplayerPeer (src/godot/multiplayer_peer.ts) the demo's client uses. */
export interface MultiplayerPeerLike {
  create_mesh(peer_id: number, channels_config?: number[]): unknown;
  create_server(channels_config?: number[]): unknown;
  create_client(peer_id: number, channels_config?: number[]): unknown;
  add_peer(peer: WebRTCPeerConnection, peer_id: number): unknown;
  remove_peer(peer_id: number): void;
  has_peer(peer_id: number): boolean;
  get_peer(peer_id: number): Record<string, unknown>;
  get_unique_id(): number;
  close(): void;
}

export interface SignalingMultiplayerOptions {
  /** initialize() configuration of every connection. Default: the demo's, Google's public STUN server. */
  peerConfig?: Record<string, unknown>;
  /** Makes a member's connection (before initialize()). Default: new WebRTCPeerConnection(). */
  createPeer?: () => WebRTCPeerConnection;
  /** channels_config for create_mesh / create_server / create_client (TRANSFER_MODE_* per extra channel). Default: none, as the demo. */
  channelsConfig?: number[];
}

export const DEMO_PEER_CONFIG = { iceServers: [{ urls: ["stun:stun.l.google.com:19302"] }] };

export class SignalingMultiplayer {
  /** The host sealed the lobby: the server closing the signaling socket afterwards is expected. */
  sealed = false;
  private readonly detach: Array<() => void> = [];

  constructor(readonly client: SignalingClient, readonly rtc_mp: MultiplayerPeerLike, private readonly options: SignalingMultiplayerOptions = {}) {
    const on = <A extends unknown[]>(signal: { connect(fn: (...a: A) => unknown): unknown; disconnect(fn: (...a: A) => unknown): void }, fn: (...a: A) => unknown) => {
      signal.connect(fn);
      this.detach.push(() => signal.disconnect(fn));
    };
    on(client.connected, (id: number, useMesh: boolean) => this.onConnected(id, useMesh));
    on(client.lobby_joined, (lobby: string) => void (client.lobby = lobby));
    on(client.lobby_sealed, () => void (this.sealed = true));
    on(client.disconnected, () => {
      if (!this.sealed) this.stop();  // an unexpected disconnect ends the session
    });
    on(client.peer_connected, (id: number) => void this.createPeer(id));
    on(client.peer_disconnected, (id: number) => {
      if (rtc_mp.has_peer(id)) rtc_mp.remove_peer(id);
    });
    on(client.offer_received, (id: number, offer: string) => this.connection(id)?.set_remote_description("offer", offer));
    on(client.answer_received, (id: number, answer: string) => this.connection(id)?.set_remote_description("answer", answer));
    on(client.candidate_received, (id: number, mid: string, index: number, sdp: string) => this.connection(id)?.add_ice_candidate(mid, index, sdp));
  }

  /** multiplayer_client.gd start(): a fresh session on `url`, creating a lobby when `lobby` is "". */
  start(url: string, lobby = "", mesh = true): Error {
    this.stop();
    this.sealed = false;
    this.client.mesh = mesh;
    this.client.lobby = lobby;
    return this.client.connect_to_url(url);
  }

  stop(): void {
    this.rtc_mp.close();
    this.client.close();
  }

  /** Disconnects from the client's signals (the client and the multiplayer peer are left as they are). */
  dispose(): void {
    for (const d of this.detach.splice(0)) d();
  }

  private onConnected(id: number, useMesh: boolean): void {
    const cfg = this.options.channelsConfig ?? [];
    if (useMesh) this.rtc_mp.create_mesh(id, cfg);
    else if (id === 1) this.rtc_mp.create_server(cfg);
    else this.rtc_mp.create_client(id, cfg);
  }

  private createPeer(id: number): WebRTCPeerConnection {
    const peer = this.options.createPeer?.() ?? new WebRTCPeerConnection();
    peer.initialize(this.options.peerConfig ?? DEMO_PEER_CONFIG);
    peer.session_description_created.connect((type: string, sdp: string) => {
      if (!this.rtc_mp.has_peer(id)) return;
      this.connection(id)?.set_local_description(type, sdp);
      if (type === "offer") this.client.send_offer(id, sdp);
      else this.client.send_answer(id, sdp);
    });
    peer.ice_candidate_created.connect((mid: string, index: number, name: string) => this.client.send_candidate(id, mid, index, name));
    // The demo offers even when add_peer failed (a client told of a member other than the host);
    // nothing would ever close that connection here, so it is closed instead.
    if (this.rtc_mp.add_peer(peer, id) !== Error.OK) {
      peer.close();
      return peer;
    }
    if (id < this.rtc_mp.get_unique_id()) peer.create_offer();
    return peer;
  }

  private connection(id: number): WebRTCPeerConnection | null {
    if (!this.rtc_mp.has_peer(id)) return null;
    return (this.rtc_mp.get_peer(id).connection as WebRTCPeerConnection | undefined) ?? null;
  }
}
