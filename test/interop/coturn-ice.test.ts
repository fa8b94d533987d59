// ICE against coturn on 127.0.0.1: server-reflexive gathering, a TURN
// allocation with long-term credentials, two agents connected only through
// relayed candidates with data flowing, and a wrong password failing clearly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeEndpoint } from "../../src/engine/node.js";
import type { Endpoint } from "../../src/engine/endpoint.js";
import { IceState, type IceAgentHandle } from "../../src/engine/ice.js";
import { haveCoturn, startCoturn, type Coturn } from "../helpers/coturn.js";

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

describe.runIf(haveCoturn())("ICE against coturn over 127.0.0.1", () => {
  let turn: Coturn;
  const eps: Endpoint[] = [];
  beforeAll(async () => {
    turn = await startCoturn({ user: "alice", password: "s3cret", realm: "test" });
  });
  afterAll(async () => {
    eps.forEach((e) => e.close());
    await turn?.stop();
  });
  const server = () => ({ family: 4 as const, ip: "127.0.0.1", port: turn.port });

  it("gathers a server-reflexive candidate from coturn", async () => {
    // On loopback the address coturn sees normally equals the host address (and a reflexive
    // candidate equal to its base is redundant, RFC 8445 §5.1.3). So the agent's host candidate
    // is announced as 127.0.0.2 while the wildcard socket reaches coturn from 127.0.0.1: what
    // coturn reports then differs from the base, as behind a NAT.
    const ep = await createNodeEndpoint({ bind: [{ ip: "0.0.0.0" }] });
    eps.push(ep);
    const port = ep.sockets[0]!.local.port;
    const agent = ep.createIceAgent({ stunServers: [server()] }, [{ family: 4, ip: "127.0.0.2", port }])!;
    agent.gather();
    expect(await until(() => agent.gatheringComplete, 5000)).toBe(true);
    const srflx = agent.localCandidates.find((l) => l.includes("typ srflx"));
    expect(srflx, agent.localCandidates.join("\n")).toBeDefined();
    expect(srflx).toContain(` 127.0.0.1 ${port} typ srflx raddr 127.0.0.2 rport ${port}`);
  });

  it("allocates a relay with long-term credentials and connects two agents only through it", async () => {
    const mk = async (controlling: boolean) => {
      const ep = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
      eps.push(ep);
      const agent = ep.createIceAgent({
        controlling, relayOnly: true,
        turnServers: [{ address: server(), username: "alice", credential: "s3cret" }],
      })!;
      const got: string[] = [];
      agent.onData = (d) => got.push(new TextDecoder().decode(d));
      const errors: string[] = [];
      agent.onTurnError = (r) => errors.push(r);
      return { ep, agent, got, errors };
    };
    const a = await mk(true);
    const b = await mk(false);
    // Only relayed candidates are exchanged.
    const relayOnly = (from: IceAgentHandle, to: IceAgentHandle) => {
      from.onCandidate = (line) => {
        expect(line).toContain("typ relay");
        to.addRemoteCandidate(line);
      };
    };
    relayOnly(a.agent, b.agent);
    relayOnly(b.agent, a.agent);
    a.agent.setRemoteCredentials(b.agent.ufrag, b.agent.pwd);
    b.agent.setRemoteCredentials(a.agent.ufrag, a.agent.pwd);
    a.agent.gather();
    b.agent.gather();
    const ok = await until(() => a.agent.state === IceState.Connected && b.agent.state === IceState.Connected, 10000);
    expect(a.errors).toEqual([]);
    expect(ok, `states ${a.agent.state}/${b.agent.state}`).toBe(true);
    expect(a.agent.localCandidates.every((l) => l.includes("typ relay"))).toBe(true);
    expect(a.agent.selectedPair).toMatch(/^relay .* -> relay /);
    for (let i = 0; i < 20; i++) a.agent.send(new TextEncoder().encode(`\x80 a->b ${i}`));
    for (let i = 0; i < 20; i++) b.agent.send(new TextEncoder().encode(`\x80 b->a ${i}`));
    expect(await until(() => a.got.length === 20 && b.got.length === 20, 5000)).toBe(true);
    expect(b.got[19]).toBe("\x80 a->b 19");
    expect(a.got[0]).toBe("\x80 b->a 0");
  });

  it("a wrong TURN password surfaces as a clear failure, not a hang", async () => {
    const ep = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    eps.push(ep);
    const agent = ep.createIceAgent({ relayOnly: true, turnServers: [{ address: server(), username: "alice", credential: "wrong" }] })!;
    const errors: string[] = [];
    agent.onTurnError = (r) => errors.push(r);
    const started = Date.now();
    agent.gather();
    expect(await until(() => errors.length > 0 && agent.gatheringComplete, 5000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors[0]).toMatch(/401|authentication/i);
    expect(agent.localCandidates).toEqual([]);
  });
});
