// Godot 3's Object.connect(signal, target, method, binds, flags) beside Godot
// 4's connect(callable, flags): binds appended, CONNECT_ONESHOT removed before
// the call, CONNECT_DEFERRED after the current call stack, CONNECT_REFERENCE_COUNTED
// counted, duplicates and missing methods refused; disconnect / is_connected by
// target and method; the Godot 3 class names.
import { describe, expect, it } from "vitest";
import {
  CONNECT_DEFERRED, CONNECT_ONESHOT, CONNECT_REFERENCE_COUNTED, Error, NetworkedMultiplayerPeer, Signal, WebRTCDataChannelExtension,
  WebRTCDataChannelGDNative, WebRTCMultiplayer, WebRTCMultiplayerPeer, WebRTCPeerConnection, WebRTCPeerConnectionExtension,
  WebRTCPeerConnectionGDNative, set_log_sink,
} from "../../src/godot/index.js";

set_log_sink(() => undefined);

class Game {
  calls: unknown[][] = [];
  _on_peer(...args: unknown[]) {
    this.calls.push(args);
  }
  other() {}
}

describe("Godot 3 signal style", () => {
  it("connect(signal, target, method, binds, flags) calls target.method(args..., binds...)", () => {
    const s = new Signal<[number]>("peer_connected");
    const g = new Game();
    expect(s.connect_method(g, "_on_peer", ["lobby", 7])).toBe(Error.OK);
    s.emit(5);
    expect(g.calls).toEqual([[5, "lobby", 7]]);
    expect(s.is_connected_method(g, "_on_peer")).toBe(true);
    expect(s.connect_method(g, "_on_peer")).toBe(Error.ERR_INVALID_PARAMETER);  // already connected
    expect(s.connect_method(g, "missing")).toBe(Error.ERR_INVALID_PARAMETER);
    expect(s.connect_method(g, "other", "not an array")).toBe(Error.ERR_INVALID_PARAMETER);
    s.disconnect_method(g, "_on_peer");
    s.emit(6);
    expect(g.calls.length).toBe(1);
  });

  it("on an object by name: WebRTCMultiplayer.connect('peer_connected', self, '_on_peer')", () => {
    const mp = new WebRTCMultiplayer();
    const g = new Game();
    expect(mp.connect("peer_connected", g, "_on_peer", [1])).toBe(Error.OK);
    expect(mp.is_connected("peer_connected", g, "_on_peer")).toBe(true);
    expect(mp.connect("no_such_signal", g, "_on_peer")).toBe(Error.ERR_INVALID_PARAMETER);
    mp.peer_connected.emit(9);
    expect(g.calls).toEqual([[9, 1]]);
    mp.disconnect("peer_connected", g, "_on_peer");
    expect(mp.is_connected("peer_connected", g, "_on_peer")).toBe(false);
    const pc = new WebRTCPeerConnection();
    const fn = () => undefined;
    expect(pc.connect("session_description_created", fn, CONNECT_ONESHOT)).toBe(Error.OK);
    expect(pc.is_connected("session_description_created", fn)).toBe(true);
  });

  it("CONNECT_ONESHOT runs once; CONNECT_DEFERRED after the call stack; CONNECT_REFERENCE_COUNTED counts", async () => {
    const s = new Signal<[string]>("x");
    const order: string[] = [];
    const once = (v: string) => order.push(`once ${v}`);
    const later = (v: string) => order.push(`deferred ${v}`);
    const now = (v: string) => order.push(`now ${v}`);
    s.connect(once, CONNECT_ONESHOT);
    s.connect(later, CONNECT_DEFERRED);
    s.connect(now);
    s.emit("a");
    order.push("after emit");
    s.emit("b");
    await Promise.resolve();
    expect(order).toEqual(["once a", "now a", "after emit", "now b", "deferred a", "deferred b"]);
    expect(s.is_connected(once)).toBe(false);
    const rc = () => undefined;
    expect(s.connect(rc, CONNECT_REFERENCE_COUNTED)).toBe(Error.OK);
    expect(s.connect(rc, CONNECT_REFERENCE_COUNTED)).toBe(Error.OK);
    s.disconnect(rc);
    expect(s.is_connected(rc)).toBe(true);
    s.disconnect(rc);
    expect(s.is_connected(rc)).toBe(false);
    expect(s.connect(now, 99)).toBe(Error.ERR_INVALID_PARAMETER);
  });

  it("a handler that disconnects another during an emission stops it being called", () => {
    const s = new Signal<[]>("y");
    const calls: string[] = [];
    const second = () => calls.push("second");
    s.connect(() => {
      calls.push("first");
      s.disconnect(second);
    });
    s.connect(second);
    s.emit();
    expect(calls).toEqual(["first"]);
  });
});

describe("Godot 3 class names", () => {
  it("WebRTCPeerConnectionGDNative, WebRTCDataChannelGDNative, NetworkedMultiplayerPeer, WebRTCMultiplayer", () => {
    expect(WebRTCPeerConnectionGDNative).toBe(WebRTCPeerConnectionExtension);
    expect(WebRTCDataChannelGDNative).toBe(WebRTCDataChannelExtension);
    expect(new WebRTCMultiplayer()).toBeInstanceOf(NetworkedMultiplayerPeer);
    expect(new WebRTCMultiplayerPeer()).toBeInstanceOf(NetworkedMultiplayerPeer);
  });
});
