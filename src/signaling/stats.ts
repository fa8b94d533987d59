// The signaling server's counters: what it did and what it refused, for operators and tests.
export interface SignalingStats {
  /** Connections open on this process now. */
  peers: number;
  /** Lobbies whose host is connected to this process now. */
  lobbies: number;
  connectionsAccepted: number;
  /** Upgrades refused before a WebSocket existed, by reason ("origin", "path", "per-ip"). */
  refusedUpgrades: Record<string, number>;
  lobbiesCreated: number;
  lobbiesClosed: number;
  joins: number;
  seals: number;
  framesIn: number;
  /** OFFER / ANSWER / CANDIDATE frames handed on to their destination. */
  relayed: number;
  /** Connections this server closed, by reason text (the close frame's). */
  closed: Record<string, number>;
  /** Connections dropped for not answering a ping. */
  pingTimeouts: number;
  /** Redis commands that failed (the connection that caused them is closed with 1011). */
  backendErrors: number;
}

export function newSignalingStats(): SignalingStats {
  return {
    peers: 0, lobbies: 0, connectionsAccepted: 0, refusedUpgrades: {}, lobbiesCreated: 0, lobbiesClosed: 0, joins: 0,
    seals: 0, framesIn: 0, relayed: 0, closed: {}, pingTimeouts: 0, backendErrors: 0,
  };
}

export function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}
