// The relay server (Node only): TURN over WebSocket for pages and workers.
export { createRelayServer, type RelayServer } from "./server.js";
export type { RelayServerOptions, RelayQuota } from "./options.js";
export { RELAY_DEFAULTS } from "./options.js";
export type { RelayStats } from "./stats.js";
export { createRelayCredentials, checkRelayUsername, type RelayCredentials } from "./credentials.js";
export { AddressPolicy, parseCidr, type Cidr } from "./address-policy.js";
export { createTurnUdpServer, type TurnUdpServer, type TurnUdpServerOptions } from "./turn-udp.js";
export type { DestinationPolicy } from "./session.js";
