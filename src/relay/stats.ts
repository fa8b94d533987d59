// The relay's counters: what it did and what it refused, for operators and tests.
export interface RelayStats {
  clients: number;
  allocations: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  framesIn: number;
  allocationsCreated: number;
  allocationsExpired: number;
  datagramsToPeers: number;
  datagramsFromPeers: number;
  bytesToPeers: number;
  bytesFromPeers: number;
  authFailures: number;
  forbiddenPeers: number;
  malformedFrames: number;
  internalErrors: number;
  droppedNoPermission: number;
  droppedQuota: number;
  droppedOversize: number;
  droppedSlowClient: number;
  closedIdle: number;
  closedUnauthenticated: number;
  closedForRate: number;
  /** Largest WebSocket queue seen for one client when the relay added a frame (bytes). */
  maxClientBufferedBytes: number;
  /** Upgrades refused, by reason ("origin", "capacity", "per-ip", "path"). */
  refusedUpgrades: Record<string, number>;
}

export function newRelayStats(): RelayStats {
  return {
    clients: 0, allocations: 0, connectionsAccepted: 0, connectionsRefused: 0, framesIn: 0, allocationsCreated: 0,
    allocationsExpired: 0, datagramsToPeers: 0, datagramsFromPeers: 0, bytesToPeers: 0, bytesFromPeers: 0,
    authFailures: 0, forbiddenPeers: 0, malformedFrames: 0, internalErrors: 0, droppedNoPermission: 0, droppedQuota: 0,
    droppedOversize: 0, droppedSlowClient: 0, closedIdle: 0, closedUnauthenticated: 0, closedForRate: 0, maxClientBufferedBytes: 0, refusedUpgrades: {},
  };
}
