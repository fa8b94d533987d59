// The shared-memory ring between the UDP thread and the main thread (single thread here: the layout and
// the wrap-around are what is tested; the two-thread use is in udp-thread.test.ts).
import { describe, expect, it } from "vitest";
import { createRing, ringFunctionsSource, ringKick, ringRead, ringUnkick, ringWrite, RING_DROPPED } from "../../src/net/datagram-ring.js";

const decode = (b: Uint8Array) => String.fromCharCode(...b);

describe("datagram ring", () => {
  it("keeps every datagram intact and in order across many wrap-arounds, with random sizes and partial reads", () => {
    const r = createRing(8192);
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const queue: { data: Uint8Array; ip: string; port: number }[] = [];
    let written = 0;
    let read = 0;
    for (let round = 0; round < 2000; round++) {
      for (let k = rnd(6); k > 0; k--) {
        const data = new Uint8Array(rnd(1500)).map((_, i) => (i * 13 + written) & 255);
        const ip = rnd(2) ? `10.0.${rnd(256)}.${rnd(256)}` : `fd00::${rnd(65536).toString(16)}`;
        const port = 1 + rnd(65535);
        if (ringWrite(r, data, ip.includes(":") ? 6 : 4, ip, port)) {
          queue.push({ data, ip, port });
          written++;
        }
      }
      ringRead(r, (data, family, ipText, port) => {
        const want = queue.shift()!;
        expect(Buffer.from(data).equals(Buffer.from(want.data))).toBe(true);
        expect(decode(ipText)).toBe(want.ip);
        expect(family).toBe(want.ip.includes(":") ? 6 : 4);
        expect(port).toBe(want.port);
        read++;
      }, 1 + rnd(4));
    }
    ringRead(r, () => { queue.shift(); read++; });
    expect(queue.length).toBe(0);
    expect(written).toBeGreaterThan(2000);
    expect(read).toBe(written);
    // Every refusal was because the ring was full, and was counted.
    expect(r.ctl[RING_DROPPED]).toBeGreaterThan(0);
  });

  it("refuses what does not fit, counts it, and takes new datagrams once read", () => {
    const r = createRing(4096);
    const d = new Uint8Array(1000);
    let ok = 0;
    while (ringWrite(r, d, 4, "127.0.0.1", 9)) ok++;
    expect(ok).toBe(4);  // 4 x (8 + 12 + 1000) = 4,080 bytes fit in 4,096, a fifth does not
    expect(r.ctl[RING_DROPPED]).toBe(1);
    expect(ringWrite(r, new Uint8Array(65535), 4, "127.0.0.1", 9)).toBe(false);  // not representable
    expect(ringWrite(r, d, 4, "x".repeat(256), 9)).toBe(false);
    expect(r.ctl[RING_DROPPED]).toBe(3);
    expect(ringRead(r, () => {})).toBe(4);
    expect(ringWrite(r, d, 4, "127.0.0.1", 9)).toBe(true);
    expect(ringRead(r, () => {})).toBe(1);
    expect(ringRead(r, () => {})).toBe(0);
  });

  it("a kick is taken once until cleared", () => {
    const r = createRing(4096);
    expect(ringKick(r)).toBe(true);
    expect(ringKick(r)).toBe(false);
    ringUnkick(r);
    expect(ringKick(r)).toBe(true);
  });

  it("its source text runs on its own (what the UDP thread evaluates)", () => {
    const fns = new Function(`${ringFunctionsSource()}\nreturn { ringWrite, ringRead };`)() as { ringWrite: typeof ringWrite; ringRead: typeof ringRead };
    const r = createRing(4096);
    expect(fns.ringWrite(r, new Uint8Array([1, 2, 3]), 4, "192.0.2.1", 5)).toBe(true);
    let got = "";
    expect(ringRead(r, (d, _f, ip, port) => (got = `${[...d].join(",")} ${decode(ip)}:${port}`))).toBe(1);
    expect(got).toBe("1,2,3 192.0.2.1:5");
    expect(ringWrite(r, new Uint8Array([4]), 4, "192.0.2.2", 6)).toBe(true);
    expect(fns.ringRead(r, (d, _f, ip) => (got = `${d[0]} ${decode(ip)}`))).toBe(1);
    expect(got).toBe("4 192.0.2.2");
  });
});
