// The Godot API contract: every method and error path of the spec tables,
// signals only inside poll() (FIFO), nothing thrown for bad input.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Error as GErr,
  WebRTCDataChannel,
  WebRTCPeerConnection,
  WebRTCPeerConnectionExtension,
  set_log_sink,
  int,
  float,
} from "../../src/godot/index.js";
import { LoopbackPeerConnection } from "./loopback.js";

let logs: string[] = [];
beforeEach(() => {
  logs = [];
  set_log_sink((level, m) => logs.push(`${level}: ${m}`));
  WebRTCPeerConnection.set_default_extension("LoopbackPeerConnection");
});
afterEach(() => set_log_sink(null));

const logged = (re: RegExp) => logs.some((l) => re.test(l));

/** Godot's minimal demo wiring: signals forwarded verbatim between two connections. */
function wire(p1: WebRTCPeerConnection, p2: WebRTCPeerConnection) {
  p1.session_description_created.connect((t, s) => {
    p1.set_local_description(t, s);
    p2.set_remote_description(t, s);
  });
  p2.session_description_created.connect((t, s) => {
    p2.set_local_description(t, s);
    p1.set_remote_description(t, s);
  });
  p1.ice_candidate_created.connect((m, i, n) => p2.add_ice_candidate(m, i, n));
  p2.ice_candidate_created.connect((m, i, n) => p1.add_ice_candidate(m, i, n));
}
function pollBoth(p1: WebRTCPeerConnection, p2: WebRTCPeerConnection, rounds = 10) {
  for (let i = 0; i < rounds; i++) {
    p1.poll();
    p2.poll();
  }
}

describe("WebRTCPeerConnection: construction and extensions", () => {
  it("new WebRTCPeerConnection() yields the default extension", () => {
    const pc = new WebRTCPeerConnection();
    expect(pc).toBeInstanceOf(LoopbackPeerConnection);
    expect(pc).toBeInstanceOf(WebRTCPeerConnection);
    expect(pc.get_connection_state()).toBe(WebRTCPeerConnection.STATE_NEW);
    expect(pc.get_gathering_state()).toBe(WebRTCPeerConnection.GATHERING_STATE_NEW);
    expect(pc.get_signaling_state()).toBe(WebRTCPeerConnection.SIGNALING_STATE_STABLE);
  });

  it("set_default_extension accepts a registered name or class and refuses the rest", () => {
    expect(WebRTCPeerConnection.set_default_extension(LoopbackPeerConnection)).toBe(GErr.OK);
    expect(WebRTCPeerConnection.set_default_extension("NoSuchExtension")).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(logged(/does not extend WebRTCPeerConnectionExtension/)).toBe(true);
    class NotAnExtension {}
    expect(WebRTCPeerConnection.set_default_extension(NotAnExtension)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(WebRTCPeerConnection.set_default_extension(42)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(new WebRTCPeerConnection()).toBeInstanceOf(LoopbackPeerConnection);  // default unchanged
  });

  it("an extension's exception never escapes the API", () => {
    class Throwing extends WebRTCPeerConnectionExtension {
      override _initialize(): never {
        throw new globalThis.Error("boom");
      }
      override _get_connection_state(): never {
        throw new globalThis.Error("boom");
      }
    }
    const pc = new Throwing();
    expect(pc.initialize({})).toBe(GErr.FAILED);
    expect(pc.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
    expect(logged(/boom/)).toBe(true);
  });

  it("signals connect as objects and by name; unknown names are refused", () => {
    const pc = new WebRTCPeerConnection();
    const fn = () => {};
    expect(pc.connect("session_description_created", fn)).toBe(GErr.OK);
    expect(pc.session_description_created.is_connected(fn)).toBe(true);
    expect(pc.connect("session_description_created", fn)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.connect("no_such_signal", fn)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.connect(5 as unknown as string, fn)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.session_description_created.connect("x" as never)).toBe(GErr.ERR_INVALID_PARAMETER);
    pc.disconnect("session_description_created", fn);
    expect(pc.session_description_created.is_connected(fn)).toBe(false);
  });
});

describe("initialize", () => {
  it("validates the configuration dictionary", () => {
    const pc = new WebRTCPeerConnection() as LoopbackPeerConnection;
    expect(pc.initialize("nope")).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.initialize([])).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.initialize({ iceServers: "stun:x" })).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.initialize({ iceServers: ["stun:x"] })).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.initialize({ iceServers: [{}] })).toBe(GErr.FAILED);
    expect(pc.initialize({ iceServers: [{ urls: 5 }] })).toBe(GErr.FAILED);
    expect(pc.initialize({ iceServers: [{ urls: [] }] })).toBe(GErr.FAILED);
    expect(pc.initialize({ iceServers: [{ urls: "http://example.org" }] })).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.initialize({ iceServers: [{ urls: "stun:host:99999" }] })).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.initialize({ iceServers: [{ urls: "turn:h", username: 5 }] })).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(logged(/invalid ICE server URL/)).toBe(true);
  });

  it("accepts Godot's forms and passes parsed servers to the extension", () => {
    const pc = new WebRTCPeerConnection() as LoopbackPeerConnection;
    expect(pc.initialize()).toBe(GErr.OK);
    expect(pc.initialize({
      iceServers: [
        { urls: ["stun:localhost:19302"] },
        { urls: "turn:127.0.0.1:3478?transport=udp", username: "u", credential: "p" },
        { urls: ["turns:[::1]"], username: "u", credentials: "old-typo" },
      ],
      iceTransportPolicy: "relay",
      madeUpKey: 1,
    })).toBe(GErr.OK);
    expect(pc.lastConfig!.iceServers).toEqual([
      { urls: ["stun:localhost:19302"], username: "", credential: "" },
      { urls: ["turn:127.0.0.1:3478?transport=udp"], username: "u", credential: "p" },
      { urls: ["turns:[::1]"], username: "u", credential: "" },
    ]);
    expect(pc.lastConfig!.extra).toEqual({ iceTransportPolicy: "relay" });
    expect(logged(/unknown configuration key 'madeUpKey'/)).toBe(true);
    expect(logged(/'credentials' is ignored/)).toBe(true);
  });

  it("gives a fresh connection (also after close)", () => {
    const pc = new WebRTCPeerConnection();
    pc.create_data_channel("a");
    pc.close();
    expect(pc.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
    expect(pc.create_offer()).toBe(GErr.ERR_UNCONFIGURED);
    expect(pc.initialize({})).toBe(GErr.OK);
    expect(pc.get_connection_state()).toBe(WebRTCPeerConnection.STATE_NEW);
    expect(pc.create_data_channel("b")).not.toBeNull();
    expect(pc.create_offer()).toBe(GErr.OK);
  });
});

describe("create_data_channel", () => {
  it("refuses bad labels, options and combinations with null and a message", () => {
    const pc = new WebRTCPeerConnection();
    const bad: Array<[unknown, unknown, RegExp]> = [
      [5, {}, /label must be a String/],
      ["x", "opts", /options must be a Dictionary/],
      ["x", { negotiated: true }, /'negotiated' and 'id' go together/],
      ["x", { id: 3 }, /'negotiated' and 'id' go together/],
      ["x", { maxRetransmits: 1, maxPacketLifeTime: 1 }, /either maxRetransmits or maxPacketLifeTime/],
      ["x", { negotiated: true, id: 65535 }, /'id' must be an int in 0..65534/],
      ["x", { negotiated: true, id: -1 }, /'id' must be/],
      ["x", { negotiated: true, id: 1.5 }, /'id' must be/],
      ["x", { maxRetransmits: "3" }, /'maxRetransmits' must be/],
      ["x", { maxPacketLifeTime: 70000 }, /'maxPacketLifeTime' must be/],
      ["x", { ordered: "yes" }, /'ordered' must be a bool/],
      ["x", { negotiated: 1, id: 1 }, /'negotiated' must be a bool/],
      ["x", { protocol: 7 }, /'protocol' must be/],
      ["y".repeat(65536), {}, /label must be/],
    ];
    for (const [label, opts, re] of bad) {
      logs = [];
      expect(pc.create_data_channel(label as string, opts)).toBeNull();
      expect(logged(re), `${String(label).slice(0, 5)} ${JSON.stringify(opts)}: ${logs.join("|")}`).toBe(true);
    }
  });

  it("creates channels with the requested properties; unset values read 65535", () => {
    const pc = new WebRTCPeerConnection();
    const a = pc.create_data_channel("chat", { negotiated: true, id: 1 })!;
    expect(a.get_label()).toBe("chat");
    expect(a.get_id()).toBe(1);
    expect(a.is_negotiated()).toBe(true);
    expect(a.is_ordered()).toBe(true);
    expect(a.get_max_packet_life_time()).toBe(65535);
    expect(a.get_max_retransmits()).toBe(65535);
    expect(a.get_protocol()).toBe("");
    expect(a.get_ready_state()).toBe(WebRTCDataChannel.STATE_CONNECTING);
    expect(a.write_mode).toBe(WebRTCDataChannel.WRITE_MODE_BINARY);
    const b = pc.create_data_channel("b", { ordered: false, maxRetransmits: 0, protocol: "p", madeUp: 1 })!;
    expect(b.is_ordered()).toBe(false);
    expect(b.get_max_retransmits()).toBe(0);
    expect(b.get_id()).toBe(65535);
    expect(b.is_negotiated()).toBe(false);
    expect(b.get_protocol()).toBe("p");
    expect(logged(/unknown option 'madeUp'/)).toBe(true);
  });

  it("only while STATE_NEW (decisions table), never after close", () => {
    const p1 = new WebRTCPeerConnection();
    const p2 = new WebRTCPeerConnection();
    wire(p1, p2);
    p1.create_data_channel("x", { negotiated: true, id: 1 });
    p2.create_data_channel("x", { negotiated: true, id: 1 });
    p1.create_offer();
    pollBoth(p1, p2);
    expect(p1.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CONNECTED);
    expect(p1.create_data_channel("late")).toBeNull();
    expect(logged(/only be created while the connection state is STATE_NEW/)).toBe(true);
    p1.close();
    expect(p1.create_data_channel("closed")).toBeNull();
  });
});

describe("create_offer / descriptions / candidates", () => {
  it("create_offer needs a channel and STATE_NEW", () => {
    const pc = new WebRTCPeerConnection();
    expect(pc.create_offer()).toBe(GErr.FAILED);
    expect(logged(/create a data channel first/)).toBe(true);
    pc.create_data_channel("x");
    expect(pc.create_offer()).toBe(GErr.OK);
  });

  it("descriptions validate type and SDP", () => {
    const pc = new WebRTCPeerConnection();
    expect(pc.set_local_description("bogus", "v=0\r\n")).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.set_local_description("offer", 5)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.set_remote_description(null, "v=0\r\n")).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.set_remote_description("offer", "garbage")).toBe(GErr.FAILED);
    expect(logged(/does not parse/)).toBe(true);
    expect(pc.set_remote_description("answer", "v=0\r\nno loopback id\r\n")).toBe(GErr.FAILED);
    pc.close();
    expect(pc.set_remote_description("offer", "v=0\r\n")).toBe(GErr.ERR_UNCONFIGURED);
    expect(pc.set_local_description("offer", "v=0\r\n")).toBe(GErr.ERR_UNCONFIGURED);
  });

  it("add_ice_candidate validates arguments and the candidate line", () => {
    const pc = new WebRTCPeerConnection();
    const line = "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host";
    expect(pc.add_ice_candidate(0, 0, line)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.add_ice_candidate("0", "0", line)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.add_ice_candidate("0", -1, line)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.add_ice_candidate("0", 0, 5)).toBe(GErr.ERR_INVALID_PARAMETER);
    for (const bad of ["", "candidate:", "candidate:1 1 udp 1 1.2.3.4 99999 typ host", "candidate:1 1 udp 1 300.1.1.1 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4 5 typ bogus", "candidate:! 1 udp 1 1.2.3.4 5 typ host"]) {
      expect(pc.add_ice_candidate("0", 0, bad), bad).toBe(GErr.ERR_INVALID_PARAMETER);
    }
    // Godot's accepted forms; before the remote description it is kept (decisions table).
    expect(pc.add_ice_candidate("0", 0, line)).toBe(GErr.OK);
    expect(pc.add_ice_candidate("0", 0, `a=${line}`)).toBe(GErr.OK);
    expect(pc.add_ice_candidate("0", 0, line.slice(10))).toBe(GErr.OK);
    expect(pc.add_ice_candidate("0", 0, "candidate:1 1 udp 1 abc-def.local 5 typ host")).toBe(GErr.OK);
    // Input limits: a mid of 256 characters and a 4096-character line pass, one more does not.
    expect(pc.add_ice_candidate("m".repeat(256), 0, line)).toBe(GErr.OK);
    expect(pc.add_ice_candidate("m".repeat(257), 0, line)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.add_ice_candidate("0", 0, `${line} x`.padEnd(4097, "x"))).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(pc.set_remote_description("offer", `v=0\r\n${"a=x\r\n".repeat(60_000)}`)).toBe(GErr.ERR_INVALID_PARAMETER);
    pc.close();
    expect(pc.add_ice_candidate("0", 0, line)).toBe(GErr.ERR_UNCONFIGURED);
  });
});

describe("poll() and signal order", () => {
  it("emits only inside poll(), FIFO: description before its candidates", () => {
    const pc = new WebRTCPeerConnection();
    pc.create_data_channel("x");
    const order: string[] = [];
    pc.session_description_created.connect((t) => order.push(`sdp:${t}`));
    pc.ice_candidate_created.connect((m, i, n) => order.push(`cand:${m}:${i}:${n.startsWith("candidate:")}`));
    expect(pc.create_offer()).toBe(GErr.OK);
    expect(order).toEqual([]);  // nothing before poll()
    expect(pc.get_signaling_state()).toBe(WebRTCPeerConnection.SIGNALING_STATE_HAVE_LOCAL_OFFER);
    expect(pc.poll()).toBe(GErr.OK);
    expect(order).toEqual(["sdp:offer", "cand:0:0:true"]);
    expect(pc.get_gathering_state()).toBe(WebRTCPeerConnection.GATHERING_STATE_COMPLETE);
  });

  it("a throwing handler is reported and the rest still run", () => {
    const pc = new WebRTCPeerConnection();
    pc.create_data_channel("x");
    let second = false;
    pc.session_description_created.connect(() => {
      throw new globalThis.Error("handler failed");
    });
    pc.session_description_created.connect(() => (second = true));
    pc.create_offer();
    expect(() => pc.poll()).not.toThrow();
    expect(second).toBe(true);
    expect(logged(/handler failed/)).toBe(true);
  });

  it("close() discards undelivered signals and nothing is emitted afterwards", () => {
    const pc = new WebRTCPeerConnection();
    pc.create_data_channel("x");
    let n = 0;
    pc.session_description_created.connect(() => n++);
    pc.create_offer();
    pc.close();
    pc.poll();
    expect(n).toBe(0);
    expect(pc.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
  });
});

describe("the minimal demo flow (spec §7.3) on the API", () => {
  it("connects, opens negotiated and in-band channels, moves text, binary and Variants, closes", () => {
    const p1 = new WebRTCPeerConnection();
    const p2 = new WebRTCPeerConnection();
    wire(p1, p2);
    const ch1 = p1.create_data_channel("chat", { id: 1, negotiated: true })!;
    const ch2 = p2.create_data_channel("chat", { id: 1, negotiated: true })!;
    const inband = p1.create_data_channel("inband", { ordered: false, maxPacketLifeTime: 500 })!;
    const received: WebRTCDataChannel[] = [];
    p2.data_channel_received.connect((c) => received.push(c));
    expect(ch1.put_packet(new TextEncoder().encode("too early"))).toBe(GErr.FAILED);
    expect(logged(/not open/)).toBe(true);
    expect(p1.create_offer()).toBe(GErr.OK);
    pollBoth(p1, p2);
    expect(p1.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CONNECTED);
    expect(p2.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CONNECTED);
    expect(ch1.get_ready_state()).toBe(WebRTCDataChannel.STATE_OPEN);
    expect(ch2.get_ready_state()).toBe(WebRTCDataChannel.STATE_OPEN);
    expect(received.length).toBe(1);
    const r = received[0]!;
    expect(r.get_label()).toBe("inband");
    expect(r.is_negotiated()).toBe(false);
    expect(r.is_ordered()).toBe(false);
    expect(r.get_max_packet_life_time()).toBe(500);
    expect(inband.get_id() % 2).toBe(1);  // the offerer is the DTLS server here: odd ids

    expect(ch1.put_packet(new TextEncoder().encode("Hi from P1"))).toBe(GErr.OK);
    expect(ch2.get_available_packet_count()).toBe(0);  // arrives at the receiver's poll()
    p2.poll();
    expect(ch2.get_available_packet_count()).toBe(1);
    expect(new TextDecoder().decode(ch2.get_packet())).toBe("Hi from P1");
    expect(ch2.was_string_packet()).toBe(false);

    ch2.write_mode = WebRTCDataChannel.WRITE_MODE_TEXT;
    const withNul = new Uint8Array([0x48, 0x00, 0x49]);
    expect(ch2.put_packet(withNul)).toBe(GErr.OK);
    p1.poll();
    expect(ch1.get_packet()).toEqual(withNul);  // bytes unchanged, no NUL truncation
    expect(ch1.was_string_packet()).toBe(true);

    expect(ch1.put_var({ a: true, n: int(5), f: float(5), list: [1, "x"] })).toBe(GErr.OK);
    p2.poll();
    expect(ch2.get_var()).toEqual({ a: true, n: 5, f: 5, list: [1, "x"] });

    expect(inband.put_packet(new Uint8Array([1, 2, 3]))).toBe(GErr.OK);
    p2.poll();
    expect(r.get_packet()).toEqual(new Uint8Array([1, 2, 3]));

    // Received packets stay readable after close; new sends fail.
    ch1.put_packet(new Uint8Array([9]));
    p2.poll();
    ch2.close();
    expect(ch2.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    expect(ch2.get_available_packet_count()).toBe(1);
    expect(ch2.get_packet()).toEqual(new Uint8Array([9]));
    expect(ch2.put_packet(new Uint8Array([1]))).toBe(GErr.FAILED);
    p1.poll();
    expect(ch1.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    p1.close();
    p2.close();
    expect(p1.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
  });
});

describe("WebRTCDataChannel (PacketPeer side)", () => {
  function openPair() {
    const p1 = new WebRTCPeerConnection();
    const p2 = new WebRTCPeerConnection();
    wire(p1, p2);
    const a = p1.create_data_channel("c", { negotiated: true, id: 3 })!;
    const b = p2.create_data_channel("c", { negotiated: true, id: 3 })!;
    p1.create_offer();
    pollBoth(p1, p2);
    return { p1, p2, a, b };
  }

  it("put_packet: wrong types, empty, too large", () => {
    const { a, b, p2 } = openPair();
    expect(a.put_packet("text" as unknown as Uint8Array)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(a.put_packet([1, 2] as unknown as Uint8Array)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(a.put_packet(new Uint8Array(0))).toBe(GErr.OK);
    p2.poll();
    expect(b.get_available_packet_count()).toBe(0);  // empty packets are not sent
    expect(a.put_packet(new Uint8Array(262145))).toBe(GErr.FAILED);
    expect(logged(/exceeds the limit/)).toBe(true);
    expect(a.put_packet(new Uint8Array(262144))).toBe(GErr.OK);
    expect(a.put_packet(new Float32Array([1]))).toBe(GErr.OK);  // any ArrayBufferView is bytes
    p2.poll();
    expect(b.get_packet().length).toBe(262144);
    expect(b.get_packet().length).toBe(4);
  });

  it("get_packet on an empty queue: ERR_UNAVAILABLE, empty array, message", () => {
    const { b } = openPair();
    expect(b.get_packet()).toEqual(new Uint8Array(0));
    expect(b.get_packet_error()).toBe(GErr.ERR_UNAVAILABLE);
    expect(logged(/No packet available/)).toBe(true);
    expect(b.get_var()).toBeNull();
  });

  it("write_mode and encode_buffer_max_size are validated", () => {
    const { a } = openPair();
    a.set_write_mode(7);
    expect(a.get_write_mode()).toBe(WebRTCDataChannel.WRITE_MODE_BINARY);
    expect(logged(/write_mode must be/)).toBe(true);
    expect(a.encode_buffer_max_size).toBe(8 * 1024 * 1024);
    a.encode_buffer_max_size = 100;
    expect(a.encode_buffer_max_size).toBe(8 * 1024 * 1024);
    a.encode_buffer_max_size = 3000;
    expect(a.encode_buffer_max_size).toBe(4096);
    a.set_encode_buffer_max_size(2 ** 29);
    expect(a.encode_buffer_max_size).toBe(4096);
  });

  it("put_var refuses what cannot be encoded or is too large; get_var returns null for garbage", () => {
    const { a, b, p2 } = openPair();
    a.encode_buffer_max_size = 1024;
    expect(a.put_var(new Uint8Array(2000))).toBe(GErr.ERR_OUT_OF_MEMORY);
    expect(a.put_var(() => 1)).not.toBe(GErr.OK);
    expect(a.put_packet(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBe(GErr.OK);
    p2.poll();
    expect(b.get_var()).toBeNull();
    expect(logged(/malformed Variant/)).toBe(true);
  });

  it("buffered amount rises on send and falls when the bytes leave", () => {
    const { a, p2 } = openPair();
    a.put_packet(new Uint8Array(1000));
    expect(a.get_buffered_amount()).toBe(1000);
    p2.poll();
    expect(a.get_buffered_amount()).toBe(0);
  });

  it("a bare WebRTCDataChannel reports, never throws", () => {
    const ch = new WebRTCDataChannel();
    expect(ch.put_packet(new Uint8Array([1]))).toBe(GErr.ERR_UNCONFIGURED);
    expect(ch.get_packet()).toEqual(new Uint8Array(0));
    expect(ch.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    expect(ch.get_id()).toBe(65535);
  });
});
