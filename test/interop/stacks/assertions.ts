// The checks every interop test file makes on a stack's StackReport (the
// record scenarios.ts made inside the namespace). One place, so Chromium and
// the Node stacks are held to the same rules.
import { describe, expect, it } from "vitest";
import type { NetnsResult } from "../../helpers/netns.js";
import { KINDS, MODES, NEGOTIATED_BASE_ID, SIZES, reliable, type ConnectionRecord, type StackReport } from "./scenarios.js";

/**
 * What the foreign stacks get wrong, found by these tests (asserted exactly, so
 * a fix upstream shows up as a failure to update here):
 * - werift 0.25.2 (lib/webrtc/src/transport/sctp.js, DATA_CHANNEL_OPEN): the
 *   channel type for maxRetransmits/maxPacketLifeTime overwrites the unordered
 *   bit (`channelType = 1` after `channelType = 0x80`), so its unordered
 *   partially reliable channels are announced as ordered (RFC 8832 §5.1 wants 0x81/0x82).
 * - node-datachannel 0.33 polyfill: channels announced by the remote are built
 *   without options (ordered true, maxRetransmits/maxPacketLifeTime null) whatever DCEP said,
 *   and a channel it opens in-band keeps id 65535 (read once at creation, before SCTP assigns it).
 * - @roamhq/wrtc 0.10: unset maxRetransmits/maxPacketLifeTime read 65535, not null.
 */
export const KNOWN_QUIRKS = ["werift-dcep-unordered-partial", "ndc-polyfill-announced-defaults", "ndc-polyfill-stale-id", "wrtc-unset-65535"];

const UNSET = 65535;  // Godot's value for an unset id / lifetime / retransmit count (class reference)
const STATE_CLOSED = 3;
const CONN_CONNECTED = 2;
const CONN_CLOSED = 5;

function summary(r: StackReport): string {
  return r.connections.map((c) => {
    const lossy = c.flows.filter((f) => f.attempts > 1).length;
    return `${c.weOffer ? "we offer" : "they offer"}: setup ${c.setupMs} ms, ${c.flows.length} flows in ${c.ms} ms` +
      `${lossy ? `, ${lossy} partially reliable message(s) resent after a loss` : ""}, mms ours ${c.ourSdpMaxMessageSize} theirs ${c.remoteSdpMaxMessageSize}`;
  }).join("; ");
}

/** Registers the tests for one stack; `get` returns the child's result once beforeAll has run it. */
export function describeStackReport(stack: string, get: () => NetnsResult<StackReport> | undefined): void {
  const report = (): StackReport => {
    const r = get();
    expect(r, "the child did not run").toBeDefined();
    expect(r!.ok, r!.error).toBe(true);
    return r!.value!;
  };
  const conn = (weOffer: boolean): ConnectionRecord => {
    const c = report().connections.find((x) => x.weOffer === weOffer);
    expect(c, `no ${weOffer ? "we-offer" : "they-offer"} connection recorded`).toBeDefined();
    return c!;
  };

  describe(stack, () => {
    it("ran both directions inside its namespace and says which implementation was our side", () => {
      const r = report();
      console.log(`[interop] ${stack} (${r.version}) vs our ${r.ourSide.extension} (${r.ourSide.note}) in ${get()!.ms} ms: ${summary(r)}`);
      expect(r.cutShort, "the child ran out of time").toBeUndefined();
      expect(r.crashes ?? [], "exceptions thrown in the child (a stack choking on what we sent?)").toEqual([]);
      expect(["engine", "js-wrtc"]).toContain(r.ourSide.kind);
      if (process.env.WASMRTC_OUR_SIDE === "engine") expect(r.ourSide.kind).toBe("engine");
      expect(r.connections.map((c) => c.weOffer).sort()).toEqual([false, true]);
    });

    for (const weOffer of [true, false]) {
      describe(weOffer ? "we offer" : "they offer", () => {
        it("signals through the Godot API, connects, and opens every channel", () => {
          const c = conn(weOffer);
          expect(c.errors, "harness/scenario errors").toEqual([]);
          if (weOffer) expect(c.signalResults.create_offer).toBe(0);
          expect(c.signalResults.set_local_description).toBe(0);
          expect(c.signalResults.set_remote_description).toBe(0);
          expect(c.localCandidates).toBeGreaterThan(0);
          expect(c.remoteCandidateResults.length).toBeGreaterThan(0);
          expect(c.remoteCandidateResults.every((x) => x === 0), `add_ice_candidate results ${c.remoteCandidateResults}`).toBe(true);
          expect(c.allOpen, `not open: ${c.notOpen.join(", ")}`).toBe(true);
          expect(c.ourStates).toContain(CONN_CONNECTED);
          expect(c.remoteStates).toContain("connected");
          expect(c.ourSetup === "active" || c.remoteSetup === "active", `a=setup ours ${c.ourSetup}, theirs ${c.remoteSetup}`).toBe(true);
          expect(c.ourSdpMaxMessageSize).toBeGreaterThanOrEqual(65536);
        });

        it("agrees with the remote on every channel's label, protocol, reliability and stream id (DCEP; ids by DTLS role)", () => {
          const c = conn(weOffer);
          const weAreClient = c.ourSetup === "active";
          expect(c.channels.length).toBe(KINDS.length * MODES.length);
          for (const ch of c.channels) {
            const i = MODES.findIndex((m) => m.tag === ch.mode);
            const m = MODES[i]!;
            const o = ch.ours!;
            const t = ch.theirs!;
            expect(o, ch.label).not.toBeNull();
            expect(t, ch.label).not.toBeNull();
            const at = `${ch.label}: ours ${JSON.stringify(o)} theirs ${JSON.stringify(t)}`;
            expect(o.label, at).toBe(ch.label);
            expect(t.label, at).toBe(ch.label);
            // The polyfill caches the id when the channel is made, before SCTP assigns it (KNOWN_QUIRKS).
            if (stack === "node-datachannel" && ch.kind === "them") expect(t.id, at).toBe(UNSET);
            else expect(o.id, at).toBe(t.id);
            const ordered = (m.opts as { ordered?: boolean }).ordered !== false;
            const rtx = (m.opts as { maxRetransmits?: number }).maxRetransmits;
            const plt = (m.opts as { maxPacketLifeTime?: number }).maxPacketLifeTime;
            // werift announces partially reliable unordered channels as ordered (KNOWN_QUIRKS).
            const wrongOrder = stack === "werift" && ch.kind === "them" && !ordered && (rtx !== undefined || plt !== undefined);
            expect(o.ordered, at).toBe(wrongOrder ? true : ordered);
            expect(o.maxRetransmits, at).toBe(rtx ?? UNSET);
            expect(o.maxPacketLifeTime, at).toBe(plt ?? UNSET);
            if (stack === "node-datachannel" && ch.kind === "us") {
              // The polyfill builds announced channels with default properties (KNOWN_QUIRKS).
              expect([t.ordered, t.maxRetransmits, t.maxPacketLifeTime], at).toEqual([true, null, null]);
            } else {
              expect(t.ordered, at).toBe(ordered);
              // Unset is null in W3C; @roamhq/wrtc reports 65535.
              expect(t.maxRetransmits === (rtx ?? null) || (rtx === undefined && t.maxRetransmits === UNSET), at).toBe(true);
              expect(t.maxPacketLifeTime === (plt ?? null) || (plt === undefined && t.maxPacketLifeTime === UNSET), at).toBe(true);
            }
            if (ch.kind === "neg") {
              expect(o.id, at).toBe(NEGOTIATED_BASE_ID + i);
              expect(o.negotiated, at).toBe(true);
              expect(t.negotiated, at).toBe(true);
              expect(o.protocol, at).toBe("");
            } else {
              expect(o.negotiated, at).toBe(false);
              expect(t.negotiated, at).toBe(false);
              expect(o.protocol, at).toBe(`p-${ch.kind}-${ch.mode}`);
              expect(t.protocol, at).toBe(`p-${ch.kind}-${ch.mode}`);
              // RFC 8832 §6: the DTLS client uses even stream ids, the server odd ones.
              const creatorIsClient = ch.kind === "us" ? weAreClient : !weAreClient;
              expect(o.id % 2, at).toBe(creatorIsClient ? 0 : 1);
            }
          }
        });

        it("carries binary and text messages of 1 B..256 KiB both ways on every channel, echoed back, bytes verified", () => {
          const c = conn(weOffer);
          expect(c.flows.length).toBe(KINDS.length * MODES.length * SIZES.length * 2 * 2);
          const bad: string[] = [];
          const lostAllowed: string[] = [];
          for (const f of c.flows) {
            const mode = f.channel.split(":")[1]!;
            const id = `${f.channel} ${f.dir} ${f.size} B ${f.text ? "text" : "binary"}`;
            if (f.dir === "us>them" && f.size > c.remoteSdpMaxMessageSize) continue;  // next test
            if (f.dir === "them>us" && f.size > c.ourSdpMaxMessageSize) {
              if (!f.oversize) bad.push(`${id}: sent although our SDP allows ${c.ourSdpMaxMessageSize}`);
              continue;
            }
            const maxAttempts = reliable(mode) ? 1 : 4;
            if (f.lostAsAllowed) {
              // Only on partially reliable channels, only large messages, every attempt made, nothing corrupt.
              const allowed = !reliable(mode) && f.size >= 65536 && f.attempts === maxAttempts &&
                (f.gotHash === undefined || f.gotHash === f.sentHash) && (f.echoHash === undefined || f.echoHash === f.sentHash);
              if (!allowed) bad.push(`${id}: counted as lost but not allowed: ${JSON.stringify(f)}`);
              else lostAllowed.push(id);
              continue;
            }
            const echoAllowed = f.dir === "us>them" || f.size <= c.remoteSdpMaxMessageSize;
            const ok = f.attempts >= 1 && f.attempts <= maxAttempts && f.remoteError === undefined &&
              f.gotHash === f.sentHash && f.gotLen === f.size && f.gotString === f.text &&
              (echoAllowed ? f.put === 0 && f.echoHash === f.sentHash && f.echoString === f.text : f.put === 1 && f.echoHash === undefined);
            if (!ok) bad.push(`${id}: ${JSON.stringify(f)}`);
          }
          expect(bad, bad.slice(0, 8).join("\n")).toEqual([]);
          if (lostAllowed.length) console.log(`[interop] lost as the channel allows (4 attempts each): ${lostAllowed.join("; ")}`);
          // A lost large message on a partially reliable channel must stay the exception.
          expect(lostAllowed.length).toBeLessThanOrEqual(4);
          // 256 KiB really went across where both SDPs allow it.
          if (c.remoteSdpMaxMessageSize >= 262144) {
            expect(c.flows.some((f) => f.dir === "us>them" && f.size === 262144 && f.echoHash === f.sentHash)).toBe(true);
          }
          if (c.ourSdpMaxMessageSize >= 262144) {
            expect(c.flows.some((f) => f.dir === "them>us" && f.size === 262144 && f.gotHash === f.sentHash)).toBe(true);
          }
        });

        it("refuses with put_packet FAILED what exceeds the remote's a=max-message-size, and sends nothing", () => {
          const c = conn(weOffer);
          const over = c.flows.filter((f) => f.dir === "us>them" && f.size > c.remoteSdpMaxMessageSize);
          if (c.remoteSdpMaxMessageSize >= 262144) {
            expect(over).toEqual([]);
            return;
          }
          expect(over.length).toBe(KINDS.length * MODES.length * 2 * SIZES.filter((s) => s > c.remoteSdpMaxMessageSize).length);
          for (const f of over) {
            const at = JSON.stringify(f);
            expect(f.oversize, at).toBe(true);
            expect(f.put, at).toBe(1);  // FAILED
            expect(f.sentinelNext, at).toBe(true);  // the next message the remote saw was the one sent after
            expect(f.extraMessages, at).toBe(0);
          }
        });

        it("a channel closed on one side is seen closed on the other; the rest keep working", () => {
          const c = conn(weOffer);
          const byWhat = new Map(c.closes.map((x) => [x.what, x]));
          for (const l of ["us:rel", "neg:rel"]) {
            const x = byWhat.get(`we close ${l}`);
            expect(x, `we close ${l}`).toBeDefined();
            expect(x!.localAfter, `our ready state right after close() on ${l}`).toBe(STATE_CLOSED);
            expect(x!.seen, `remote saw ${l} close`).toBe(true);
          }
          const t = byWhat.get("they close them:rel");
          expect(t?.seen, `we saw them:rel close (${t?.detail})`).toBe(true);
          expect(c.afterCloseStillWorks.ok, c.afterCloseStillWorks.detail).toBe(true);
        });

        it(`${weOffer ? "our" : "their"} close() of the connection is seen by the other side`, () => {
          const c = conn(weOffer);
          const x = c.closes.find((y) => y.what === (weOffer ? "we close the connection" : "they close the connection"));
          expect(x, "connection close recorded").toBeDefined();
          if (weOffer) expect(x!.localAfter).toBe(CONN_CLOSED);
          expect(x!.seen, x!.detail).toBe(true);
          expect(c.ourStates[c.ourStates.length - 1]).toBe(CONN_CLOSED);
        });
      });
    }
  });
}
