// STUN against software we did not write: coturn's turnserver and turnutils_stunclient,
// over real UDP on 127.0.0.1, both directions.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeEndpoint } from "../../src/engine/node.js";
import type { Endpoint } from "../../src/engine/endpoint.js";
import { haveCoturn, startCoturn, type Coturn } from "../helpers/coturn.js";

const execFileP = promisify(execFile);

describe.runIf(haveCoturn())("coturn interop over 127.0.0.1", () => {
  let turn: Coturn;
  beforeAll(async () => {
    turn = await startCoturn();
  });
  afterAll(async () => {
    await turn?.stop();
  });

  it("our client queries turnserver and gets its own address back", async () => {
    const client = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    try {
      let r = await client.stunBinding({ family: 4, ip: "127.0.0.1", port: turn.port });
      for (let i = 0; i < 5 && !r.ok; i++) r = await client.stunBinding({ family: 4, ip: "127.0.0.1", port: turn.port });
      expect(r.ok, r.reason).toBe(true);
      const local = client.sockets[0]!.local;
      expect(r.mapped).toEqual({ family: 4, ip: "127.0.0.1", port: local.port });
      expect(r.rttMs).toBeGreaterThan(0);
      expect(r.rttMs).toBeLessThan(1000);
    } finally {
      client.close();
    }
  });

  it("turnutils_stunclient queries our endpoint and gets its address back", async () => {
    const server: Endpoint = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }], answerStun: true });
    try {
      const port = server.sockets[0]!.local.port;
      const { stdout } = await execFileP("turnutils_stunclient", ["-L", "127.0.0.1", "-p", String(port), "127.0.0.1"], {
        timeout: 15000,
      });
      const m = /UDP reflexive addr: (\d+\.\d+\.\d+\.\d+):(\d+)/.exec(stdout);
      expect(m, stdout).not.toBeNull();
      expect(m![1]).toBe("127.0.0.1");
      // The port the client saw must be the source port we answered.
      const stats = server.stats();
      expect(stats.stunRequestsAnswered).toBeGreaterThanOrEqual(1);
      expect(stats.lastStunClient).toEqual({ family: 4, ip: "127.0.0.1", port: Number(m![2]) });
    } finally {
      server.close();
    }
  });
});
