// Lobbies in this process's memory, as the demo's server.js keeps them. Every
// operation finishes synchronously (the promises are for the interface Redis
// needs), so members see events in the order the server handled them.
import { mayMeet, type BackendEvents, type JoinResult, type LobbyBackend, type LocalPeer, type OpResult } from "./backend.js";
import { newLobbyName, newPeerId } from "./ids.js";
import { CloseCode, HOST_ID, MessageType, Reason, encodeMessage } from "./protocol.js";

export interface MemoryBackendOptions {
  maxLobbies: number;
  maxPeersPerLobby: number;
  sealCloseTimeoutMs: number;
  announceAll: boolean;
}

interface Lobby {
  readonly name: string;
  readonly mesh: boolean;
  sealed: boolean;
  /** Assigned id → connection; the host is 1. Insertion order is join order (the demo's array). */
  readonly members: Map<number, LocalPeer>;
  sealTimer: ReturnType<typeof setTimeout> | null;
}

export class MemoryBackend implements LobbyBackend {
  private readonly lobbies = new Map<string, Lobby>();

  constructor(private readonly o: MemoryBackendOptions, private readonly events: BackendEvents) {}

  async create(peer: LocalPeer, mesh: boolean): Promise<JoinResult> {
    if (this.lobbies.size >= this.o.maxLobbies) return { ok: false, reason: Reason.TOO_MANY_LOBBIES };
    let name = newLobbyName();
    while (this.lobbies.has(name)) name = newLobbyName();
    const lobby: Lobby = { name, mesh, sealed: false, members: new Map([[HOST_ID, peer]]), sealTimer: null };
    this.lobbies.set(name, lobby);
    this.events.lobbyOpened(name);
    return { ok: true, lobby: name, id: HOST_ID, mesh, announce: [] };
  }

  async join(name: string, peer: LocalPeer): Promise<JoinResult> {
    const lobby = this.lobbies.get(name);
    if (!lobby) return { ok: false, reason: Reason.LOBBY_DOES_NOT_EXIST };
    if (lobby.sealed) return { ok: false, reason: Reason.LOBBY_IS_SEALED };
    if (lobby.members.size >= this.o.maxPeersPerLobby) return { ok: false, reason: Reason.LOBBY_FULL };
    let id = newPeerId();
    while (lobby.members.has(id)) id = newPeerId();
    const announce: number[] = [];
    const hello = encodeMessage(MessageType.PEER_CONNECT, id);
    for (const [other, p] of lobby.members) {
      if (!mayMeet(lobby.mesh, this.o.announceAll, other, id)) continue;
      p.deliver(hello);
      announce.push(other);
    }
    lobby.members.set(id, peer);
    return { ok: true, lobby: name, id, mesh: lobby.mesh, announce };
  }

  async seal(name: string, id: number, peer: LocalPeer): Promise<OpResult> {
    const lobby = this.member(name, id, peer);
    if (!lobby) return Reason.SERVER_ERROR;
    if (id !== HOST_ID) return Reason.ONLY_HOST_CAN_SEAL;
    // A second SEAL changes nothing (server.js would start a second timer).
    if (lobby.sealed) return null;
    lobby.sealed = true;
    const frame = encodeMessage(MessageType.SEAL, 0);
    for (const p of lobby.members.values()) p.deliver(frame);
    lobby.sealTimer = setTimeout(() => this.end(lobby, CloseCode.NORMAL, Reason.SEAL_COMPLETE, true), this.o.sealCloseTimeoutMs);
    lobby.sealTimer.unref?.();
    return null;
  }

  async relay(name: string, id: number, peer: LocalPeer, dest: number, frame: string): Promise<OpResult> {
    const lobby = this.member(name, id, peer);
    if (!lobby) return Reason.SERVER_ERROR;
    const to = lobby.members.get(dest);
    if (!to || !mayMeet(lobby.mesh, this.o.announceAll, id, dest)) return Reason.INVALID_DEST;
    to.deliver(frame);
    return null;
  }

  async leave(name: string, id: number, peer: LocalPeer): Promise<void> {
    const lobby = this.member(name, id, peer);
    if (!lobby) return;
    lobby.members.delete(id);
    if (id === HOST_ID) {
      this.end(lobby, CloseCode.PROTOCOL, Reason.HOST_DISCONNECTED, false);
      return;
    }
    const bye = encodeMessage(MessageType.PEER_DISCONNECT, id);
    for (const [other, p] of lobby.members) if (mayMeet(lobby.mesh, this.o.announceAll, other, id)) p.deliver(bye);
  }

  hostedLobbies(): number {
    return this.lobbies.size;
  }

  async close(): Promise<void> {
    for (const lobby of this.lobbies.values()) if (lobby.sealTimer) clearTimeout(lobby.sealTimer);
    this.lobbies.clear();
  }

  /** The lobby if `peer` is its member `id`. */
  private member(name: string, id: number, peer: LocalPeer): Lobby | null {
    const lobby = this.lobbies.get(name);
    return lobby && lobby.members.get(id) === peer ? lobby : null;
  }

  /** Removes the lobby first, so the members' own leave() finds nothing to announce. */
  private end(lobby: Lobby, code: number, reason: string, includeHost: boolean): void {
    if (this.lobbies.get(lobby.name) !== lobby) return;
    this.lobbies.delete(lobby.name);
    if (lobby.sealTimer) clearTimeout(lobby.sealTimer);
    for (const [id, p] of lobby.members) if (includeHost || id !== HOST_ID) p.kick(code, reason);
    this.events.lobbyClosed(lobby.name, reason);
  }
}
