// Types of agent.mjs (plain JavaScript so that the page runs the same source).
export interface AgentSpec {
  name: string;
  kind: string;
  createPeer: () => unknown;
  peerConfig: Record<string, unknown>;
}
export function makeAgent(lib: unknown, spec: AgentSpec): Record<string, (args: unknown) => unknown>;
