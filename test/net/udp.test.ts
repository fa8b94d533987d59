// NodeUdpTransport on real loopback sockets.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { NodeUdpTransport } from "../../src/net/udp.js";

describe("NodeUdpTransport", () => {
  it("sends and receives on 127.0.0.1, a burst without loss with large buffers", async () => {
    const t = new NodeUdpTransport({ allowAddresses: ["127.0.0.1"] });
    expect(t.localAddresses()).toEqual(["127.0.0.1"]);
    const a = await t.bind({ ip: "127.0.0.1" });
    const b = await t.bind({ ip: "127.0.0.1" });
    const n = 2000;
    let got = 0;
    let sum = 0;
    const done = new Promise<void>((res) => {
      b.onDatagram = (d, from) => {
        expect(from.port).toBe(a.local.port);
        sum += d[0]!;
        if (++got === n) res();
      };
    });
    for (let i = 0; i < n; i++) a.send(new Uint8Array(1200).fill(i & 0xff), b.local);
    await done;
    expect(got).toBe(n);
    let expected = 0;
    for (let i = 0; i < n; i++) expected += i & 0xff;
    expect(sum).toBe(expected);
    a.close();
    b.close();
    a.close();  // idempotent
  });

  it("works on ::1 when the kernel has IPv6 loopback", async (ctx) => {
    const t = new NodeUdpTransport();
    let a;
    try {
      a = await t.bind({ ip: "::1" });
    } catch (e) {
      console.log(`skipping ::1: ${(e as Error).message}`);
      ctx.skip();  // no IPv6 loopback on this kernel
      return;
    }
    const b = await t.bind({ ip: "::1" });
    const got = new Promise<string>((res) => (b.onDatagram = (_d, from) => res(`${from.family} ${from.ip}`)));
    a.send(new Uint8Array([1, 2, 3]), b.local);
    expect(await got).toBe("6 ::1");
    a.close();
    b.close();
  });

  it("never throws for bad destinations", async () => {
    const t = new NodeUdpTransport();
    const a = await t.bind({ ip: "127.0.0.1" });
    expect(() => a.send(new Uint8Array(1), { family: 4, ip: "not an ip", port: 1 })).not.toThrow();
    expect(() => a.send(new Uint8Array(1), { family: 4, ip: "127.0.0.1", port: 0 })).not.toThrow();
    expect(() => a.send(new Uint8Array(1), { family: 6, ip: "::1", port: 5 })).not.toThrow();
    a.close();
    expect(() => a.send(new Uint8Array(1), { family: 4, ip: "127.0.0.1", port: 9 })).not.toThrow();
  });

  it("leaves nothing behind: a process that binds, sends and closes exits on its own", () => {
    const script = `
      import { NodeUdpTransport } from ${JSON.stringify(resolve(__dirname, "../../dist/index.js"))};
      const t = new NodeUdpTransport();
      const a = await t.bind({ ip: "127.0.0.1" });
      const b = await t.bind({ ip: "127.0.0.1" });
      await new Promise((res) => { b.onDatagram = () => res(); a.send(new Uint8Array([1]), b.local); });
      a.close(); b.close();
      console.log("closed");
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 10000, encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.stdout.trim()).toBe("closed");
    expect(r.status).toBe(0);
  });
});
