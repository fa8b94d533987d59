// Two ICE agents in the wasm engine over the virtual network: direct, behind
// NATs (server-reflexive via our own STUN server, relay via TURN when needed
// is covered against coturn), loss, a vanishing and returning peer.
import { beforeAll, describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import { Endpoint } from "../../src/engine/endpoint.js";
import { IceState, type IceAgentHandle, type IceAgentOptions } from "../../src/engine/ice.js";
import "../../src/engine/node.js";
import { VirtualClock } from "../../src/net/clock.js";
import { VirtualNetwork, type NatType } from "../../src/net/virtual.js";

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.load({ crypto: new NodeCryptoProvider() });
});

interface Side {
  ep: Endpoint;
  agent: IceAgentHandle;
  states: Array<[number, IceState]>;
  data: string[];
}

async function twoPeers(opts: {
  seed?: number;
  natA?: NatType;
  natB?: NatType;
  loss?: number;
  ice?: IceAgentOptions;
  stun?: boolean;
}) {
  const clock = new VirtualClock();
  const net = new VirtualNetwork(clock, { seed: opts.seed ?? 1, defaultLink: { latencyMs: 5, loss: opts.loss ?? 0 } });
  const stunHost = net.addHost("192.0.2.100");
  const stunServer = await Endpoint.create({ engine, transport: stunHost, clock, bind: [{ port: 3478 }], answerStun: true, inputMode: "immediate" });
  const hostA = net.addHost("10.0.1.1", opts.natA ? { type: opts.natA, publicIp: "198.51.100.1" } : undefined);
  const hostB = net.addHost("10.0.2.1", opts.natB ? { type: opts.natB, publicIp: "198.51.100.2" } : undefined);
  const stunServers = opts.stun ? [{ family: 4 as const, ip: "192.0.2.100", port: 3478 }] : [];
  const mk = async (host: typeof hostA, controlling: boolean): Promise<Side> => {
    const ep = await Endpoint.create({ engine, transport: host, clock, inputMode: "immediate" });
    const agent = ep.createIceAgent({ ...opts.ice, controlling, stunServers })!;
    const side: Side = { ep, agent, states: [], data: [] };
    agent.onState = (s) => side.states.push([clock.now(), s]);
    agent.onData = (d) => side.data.push(new TextDecoder().decode(d));
    return side;
  };
  const a = await mk(hostA, true);
  const b = await mk(hostB, false);
  // Trickle: candidates flow as they are gathered.
  a.agent.onCandidate = (line) => b.agent.addRemoteCandidate(line);
  b.agent.onCandidate = (line) => a.agent.addRemoteCandidate(line);
  a.agent.onGatheringComplete = () => b.agent.endOfCandidates();
  b.agent.onGatheringComplete = () => a.agent.endOfCandidates();
  expect(a.agent.setRemoteCredentials(b.agent.ufrag, b.agent.pwd)).toBe(true);
  expect(b.agent.setRemoteCredentials(a.agent.ufrag, a.agent.pwd)).toBe(true);
  for (const l of a.agent.localCandidates) b.agent.addRemoteCandidate(l);
  for (const l of b.agent.localCandidates) a.agent.addRemoteCandidate(l);
  a.agent.gather();
  b.agent.gather();
  const close = () => {
    a.ep.close();
    b.ep.close();
    stunServer.close();
  };
  return { clock, net, a, b, close };
}

describe("ICE between two wasm-engine agents on the virtual network", () => {
  it("connects directly and carries data", async () => {
    const { clock, a, b, close } = await twoPeers({});
    clock.runUntil(() => a.agent.state === IceState.Connected && b.agent.state === IceState.Connected, 5000);
    expect(a.agent.state).toBe(IceState.Connected);
    expect(b.agent.state).toBe(IceState.Connected);
    expect(a.agent.selectedPair).toContain("host");
    expect(a.agent.send(new TextEncoder().encode("\x80 hello b"))).toBe(true);
    expect(b.agent.send(new TextEncoder().encode("\x80 hello a"))).toBe(true);
    clock.advance(50);
    expect(b.data).toEqual(["\x80 hello b"]);
    expect(a.data).toEqual(["\x80 hello a"]);
    close();
  });

  for (const nat of ["full-cone", "port-restricted"] as const) {
    it(`connects with both peers behind ${nat} NATs through server-reflexive candidates`, async () => {
      const { clock, a, b, close } = await twoPeers({ natA: nat, natB: nat, stun: true });
      clock.runUntil(() => a.agent.state === IceState.Connected && b.agent.state === IceState.Connected, 10000);
      expect(a.agent.localCandidates.some((l) => l.includes("typ srflx"))).toBe(true);
      expect(a.agent.state).toBe(IceState.Connected);
      expect(b.agent.state).toBe(IceState.Connected);
      close();
    });
  }

  it("connects with one peer behind a symmetric NAT (peer-reflexive)", async () => {
    const { clock, a, b, close } = await twoPeers({ natA: "symmetric", stun: true });
    clock.runUntil(() => a.agent.state === IceState.Connected && b.agent.state === IceState.Connected, 10000);
    expect(a.agent.state).toBe(IceState.Connected);
    expect(b.agent.state).toBe(IceState.Connected);
    expect(b.agent.selectedPair).toContain("prflx");
    close();
  });

  it("fails cleanly when both are behind symmetric NATs and no relay is configured", async () => {
    const { clock, a, close } = await twoPeers({ natA: "symmetric", natB: "symmetric", stun: true, ice: { checkingTimeoutMs: 8000 } });
    let reason = "";
    a.agent.onState = (s, r) => s === IceState.Failed && (reason = r);
    clock.runUntil(() => a.agent.state === IceState.Failed, 20000);
    expect(a.agent.state).toBe(IceState.Failed);
    expect(reason.length).toBeGreaterThan(0);
    close();
  });

  it("connects under 30% loss", async () => {
    for (const seed of [1, 2, 3]) {
      const { clock, a, b, close } = await twoPeers({ seed, loss: 0.3 });
      clock.runUntil(() => a.agent.state === IceState.Connected && b.agent.state === IceState.Connected, 15000);
      expect(a.agent.state, `seed ${seed}`).toBe(IceState.Connected);
      expect(b.agent.state, `seed ${seed}`).toBe(IceState.Connected);
      close();
    }
  });

  it("peer vanishes: disconnected, then failed, at the configured times; a returning peer recovers", async () => {
    const ice = { consentIntervalMs: 1000, disconnectedAfterMs: 3000, failedAfterMs: 10000 };
    const { clock, net, a, b, close } = await twoPeers({ ice });
    clock.runUntil(() => a.agent.state === IceState.Connected && b.agent.state === IceState.Connected, 5000);
    const cut = clock.now();
    net.setLink("10.0.1.1", "10.0.2.1", { loss: 1 });
    clock.runUntil(() => a.agent.state === IceState.Disconnected, 20000);
    const tDisc = clock.now() - cut;
    // Last consent answer came at most ~1.2 intervals before the cut.
    expect(tDisc).toBeGreaterThan(3000 - 1300);
    expect(tDisc).toBeLessThanOrEqual(3000 + 1);
    net.setLink("10.0.1.1", "10.0.2.1", { latencyMs: 5 });
    clock.runUntil(() => a.agent.state === IceState.Connected, 5000);
    expect(a.agent.state).toBe(IceState.Connected);
    const cut2 = clock.now();
    net.setLink("10.0.1.1", "10.0.2.1", { loss: 1 });
    clock.runUntil(() => a.agent.state === IceState.Failed, 20000);
    const tFail = clock.now() - cut2;
    expect(tFail).toBeGreaterThan(10000 - 1300);
    expect(tFail).toBeLessThanOrEqual(10000 + 1);
    expect(a.states.map((s) => s[1])).toEqual([IceState.Checking, IceState.Connected, IceState.Disconnected,
      IceState.Connected, IceState.Disconnected, IceState.Failed]);
    // b's consent checks are randomised on their own schedule (RFC 7675 §5.1): it fails within one interval of a.
    clock.runUntil(() => b.agent.state === IceState.Failed, 1300);
    expect(b.agent.state).toBe(IceState.Failed);
    close();
  });

  it("many agents share one endpoint and one socket, told apart by ufrag", async () => {
    const clock = new VirtualClock();
    const net = new VirtualNetwork(clock, { seed: 9, defaultLink: { latencyMs: 2 } });
    const server = await Endpoint.create({ engine, transport: net.addHost("10.9.0.1"), clock, inputMode: "immediate" });
    const clients: Array<{ ep: Endpoint; agent: IceAgentHandle; got: string[] }> = [];
    const serverAgents: IceAgentHandle[] = [];
    for (let i = 0; i < 20; i++) {
      const ep = await Endpoint.create({ engine, transport: net.addHost(`10.8.0.${i + 1}`), clock, inputMode: "immediate" });
      const ca = ep.createIceAgent({ controlling: true })!;
      const sa = server.createIceAgent({ controlling: false })!;
      const got: string[] = [];
      sa.onData = (d) => sa.send(d);  // echo
      ca.onData = (d) => got.push(new TextDecoder().decode(d));
      ca.setRemoteCredentials(sa.ufrag, sa.pwd);
      sa.setRemoteCredentials(ca.ufrag, ca.pwd);
      ca.localCandidates.forEach((l) => sa.addRemoteCandidate(l));
      sa.localCandidates.forEach((l) => ca.addRemoteCandidate(l));
      clients.push({ ep, agent: ca, got });
      serverAgents.push(sa);
    }
    expect(server.sockets.length).toBe(1);
    clock.runUntil(() => clients.every((c) => c.agent.state === IceState.Connected), 10000);
    clients.forEach((c, i) => c.agent.send(new TextEncoder().encode(`\x80 client ${i}`)));
    clock.advance(100);
    clients.forEach((c, i) => expect(c.got).toEqual([`\x80 client ${i}`]));
    for (const c of clients) c.ep.close();
    server.close();
  });

  it("resolves mDNS (.local) candidates through the transport: the core asks, the host answers", async () => {
    const clock = new VirtualClock();
    const net = new VirtualNetwork(clock, { seed: 4, defaultLink: { latencyMs: 3 } });
    const a = await Endpoint.create({ engine, transport: net.addHost("10.5.0.1"), clock, inputMode: "immediate" });
    const b = await Endpoint.create({ engine, transport: net.addHost("10.5.0.2"), clock, inputMode: "immediate" });
    net.names.set("6b0d9e63-0000-4000-8000-000000000001.local", "10.5.0.2");
    const ia = a.createIceAgent({ controlling: true })!;
    const ib = b.createIceAgent({ controlling: false })!;
    ia.setRemoteCredentials(ib.ufrag, ib.pwd);
    ib.setRemoteCredentials(ia.ufrag, ia.pwd);
    // B announces itself only by name, as browsers do.
    const port = b.sockets[0]!.local.port;
    expect(ia.addRemoteCandidate(`candidate:1 1 udp 2130706431 6b0d9e63-0000-4000-8000-000000000001.local ${port} typ host`)).toBe("ok");
    expect(ia.addRemoteCandidate(`candidate:2 1 udp 2130706431 nobody-knows-me.local ${port} typ host`)).toBe("ok");
    await Promise.resolve();
    await Promise.resolve();
    clock.runUntil(() => ia.state === IceState.Connected && ib.state === IceState.Connected, 5000);
    expect(ia.state).toBe(IceState.Connected);
    expect(ia.selectedPair).toContain("10.5.0.2");
    a.close();
    b.close();
  });

  it("connects to an ICE-lite peer: we take the controlling role and nominate", async () => {
    const clock = new VirtualClock();
    const net = new VirtualNetwork(clock, { seed: 6, defaultLink: { latencyMs: 3 } });
    const full = await Endpoint.create({ engine, transport: net.addHost("10.6.0.1"), clock, inputMode: "immediate" });
    const liteEp = await Endpoint.create({ engine, transport: net.addHost("10.6.0.2"), clock, inputMode: "immediate" });
    const f = full.createIceAgent({ controlling: false })!;  // would be controlled, but the peer is lite
    const l = liteEp.createIceAgent({ lite: true })!;
    f.setRemoteCredentials(l.ufrag, l.pwd);
    f.setRemoteLite(true);
    l.setRemoteCredentials(f.ufrag, f.pwd);
    l.localCandidates.forEach((c) => f.addRemoteCandidate(c));  // a lite agent only has host candidates
    clock.runUntil(() => f.state === IceState.Connected && l.state === IceState.Connected, 5000);
    expect(f.state).toBe(IceState.Connected);
    expect(l.state).toBe(IceState.Connected);
    f.send(new TextEncoder().encode("\x80 to lite"));
    const got: string[] = [];
    l.onData = (d) => got.push(new TextDecoder().decode(d));
    clock.advance(20);
    expect(got).toEqual(["\x80 to lite"]);
    full.close();
    liteEp.close();
  });

  it("refuses malformed and excess remote candidates without throwing", async () => {
    const { a, close } = await twoPeers({});
    expect(a.agent.addRemoteCandidate("candidate:garbage")).toBe("malformed");
    expect(a.agent.addRemoteCandidate("candidate:1 1 tcp 1 10.0.0.9 9 typ host")).toBe("refused");
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      if (a.agent.addRemoteCandidate(`candidate:1 1 udp 1 10.7.${i >> 8}.${i & 255} 9 typ host`) === "refused") refused++;
    }
    expect(refused).toBeGreaterThan(40);
    close();
  });
});
