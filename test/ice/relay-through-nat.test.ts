// Both peers behind simulated NATs where only a relay can connect them: the
// virtual network (on the real clock) reaches coturn on 127.0.0.1 through a
// gateway, the agents allocate relays through their NATs (relay policy, as
// iceTransportPolicy "relay"), and ICE connects them relay to relay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import { Endpoint } from "../../src/engine/endpoint.js";
import { IceState, type IceAgentHandle } from "../../src/engine/ice.js";
import "../../src/engine/node.js";
import { RealClock } from "../../src/net/clock.js";
import { VirtualNetwork, type NatType } from "../../src/net/virtual.js";
import { haveCoturn, startCoturn, type Coturn } from "../helpers/coturn.js";
import { attachLoopbackGateway } from "../helpers/real-gateway.js";

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

describe.runIf(haveCoturn())("relay needed: peers behind simulated NATs, coturn as the relay", () => {
  let turn: Coturn;
  let engine: Engine;
  beforeAll(async () => {
    turn = await startCoturn({ user: "alice", password: "s3cret" });
    engine = await Engine.load({ crypto: new NodeCryptoProvider() });
  });
  afterAll(async () => {
    await turn?.stop();
  });

  const cases: Array<[NatType, NatType, boolean]> = [
    ["symmetric", "symmetric", false], ["symmetric", "port-restricted", false], ["symmetric", "symmetric", true],
  ];
  for (const [natA, natB, relayOnly] of cases) {
    it(`${natA} + ${natB}${relayOnly ? " (relay policy)" : " (all candidates)"}: connects through a relay and carries data`, async () => {
      const clock = new RealClock();
      const net = new VirtualNetwork(clock, { seed: 8, defaultLink: { latencyMs: 2 } });
      const detach = attachLoopbackGateway(net);
      const turnServers = [{ address: { family: 4 as const, ip: "127.0.0.1", port: turn.port }, username: "alice", credential: "s3cret" }];
      const mk = async (ip: string, pub: string, nat: NatType, controlling: boolean) => {
        const ep = await Endpoint.create({ engine, transport: net.addHost(ip, { type: nat, publicIp: pub }), clock, inputMode: "immediate" });
        const agent = ep.createIceAgent({ controlling, turnServers, relayOnly, stunServers: [{ family: 4, ip: "127.0.0.1", port: turn.port }] })!;
        const got: string[] = [];
        agent.onData = (d) => got.push(new TextDecoder().decode(d));
        return { ep, agent, got };
      };
      const a = await mk("10.1.0.1", "203.0.113.1", natA, true);
      const b = await mk("10.2.0.1", "203.0.113.2", natB, false);
      const trickle = (from: IceAgentHandle, to: IceAgentHandle) => {
        from.onCandidate = (l) => to.addRemoteCandidate(l);
        from.onGatheringComplete = () => to.endOfCandidates();
      };
      trickle(a.agent, b.agent);
      trickle(b.agent, a.agent);
      a.agent.setRemoteCredentials(b.agent.ufrag, b.agent.pwd);
      b.agent.setRemoteCredentials(a.agent.ufrag, a.agent.pwd);
      a.agent.gather();
      b.agent.gather();
      const ok = await until(() => a.agent.state === IceState.Connected && b.agent.state === IceState.Connected, 15000);
      expect(ok, `${a.agent.state}/${b.agent.state}`).toBe(true);
      // Symmetric NATs defeat every direct path: whatever was selected goes through a relay.
      expect(a.agent.localCandidates.some((l) => l.includes("typ relay"))).toBe(true);
      expect(`${a.agent.selectedPair} | ${b.agent.selectedPair}`).toContain("relay");
      if (relayOnly) expect(a.agent.localCandidates.every((l) => l.includes("typ relay"))).toBe(true);
      else expect(a.agent.localCandidates.some((l) => l.includes("typ srflx"))).toBe(true);
      a.agent.send(new TextEncoder().encode("\x80 through the relay"));
      b.agent.send(new TextEncoder().encode("\x80 and back"));
      expect(await until(() => a.got.length === 1 && b.got.length === 1, 5000)).toBe(true);
      expect(b.got[0]).toBe("\x80 through the relay");
      expect(a.got[0]).toBe("\x80 and back");
      a.ep.close();
      b.ep.close();
      detach();
    }, 30000);
  }
});
