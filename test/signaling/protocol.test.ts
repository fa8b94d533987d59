// The demo's frame format, read and written as server.js and ws_webrtc_client.gd do.
import { describe, expect, it } from "vitest";
import {
  MessageType, closeReason, encodeCandidate, encodeMessage, parseCandidate, parseClientMessage, parseServerMessage,
} from "../../src/signaling/protocol.js";
import { newLobbyName, newPeerId } from "../../src/signaling/ids.js";

describe("signaling protocol", () => {
  it("numbers the messages as the demo's enum", () => {
    expect(MessageType).toEqual({ JOIN: 0, ID: 1, PEER_CONNECT: 2, PEER_DISCONNECT: 3, OFFER: 4, ANSWER: 5, CANDIDATE: 6, SEAL: 7 });
  });

  it("writes {type, id, data} in that order, data never missing (server.js ProtoMessage)", () => {
    expect(encodeMessage(1, 1, "true")).toBe('{"type":1,"id":1,"data":"true"}');
    expect(encodeMessage(7, 0)).toBe('{"type":7,"id":0,"data":""}');
    expect(encodeMessage(4, 5, 'v=0\r\n"x"')).toBe('{"type":4,"id":5,"data":"v=0\\r\\n\\"x\\""}');
  });

  it("reads client frames as server.js: numbers floored, non-numbers -1, non-string data '', negatives refused", () => {
    expect(parseClientMessage('{"type":4,"id":1,"data":"sdp"}')).toEqual({ type: 4, id: 1, data: "sdp" });
    expect(parseClientMessage('{"type":4.9,"id":2.5}')).toEqual({ type: 4, id: 2, data: "" });
    expect(parseClientMessage('{"type":0,"id":0,"data":7}')).toEqual({ type: 0, id: 0, data: "" });
    expect(parseClientMessage('{"type":"4","id":1}')).toBeNull();  // a string type counts as -1
    expect(parseClientMessage('{"type":4}')).toBeNull();  // no id: -1
    expect(parseClientMessage('{"type":-1,"id":0}')).toBeNull();
    expect(parseClientMessage("not json")).toBeNull();
    expect(parseClientMessage("null")).toBeNull();
    expect(parseClientMessage("[0,0]")).toBeNull();
    expect(parseClientMessage("42")).toBeNull();
    // Unknown types parse; the session refuses them as "Invalid command".
    expect(parseClientMessage('{"type":99,"id":0}')).toEqual({ type: 99, id: 0, data: "" });
  });

  it("reads server frames as ws_webrtc_client.gd: type and id integers (or integer strings), data a string", () => {
    expect(parseServerMessage('{"type":1,"id":5,"data":""}')).toEqual({ type: 1, id: 5, data: "" });
    expect(parseServerMessage('{"type":"2","id":"7","data":""}')).toEqual({ type: 2, id: 7, data: "" });
    expect(parseServerMessage('{"type":1,"id":5}')).toBeNull();
    expect(parseServerMessage('{"type":1.5,"id":5,"data":""}')).toBeNull();
    expect(parseServerMessage('{"id":5,"data":""}')).toBeNull();
    expect(parseServerMessage("[]")).toBeNull();
  });

  it("candidates travel as \\n<mid>\\n<index>\\n<sdp> and are read back dropping empty parts", () => {
    const line = "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host";
    expect(encodeCandidate("0", 0, line)).toBe(`\n0\n0\n${line}`);
    expect(parseCandidate(encodeCandidate("data", 2, line))).toEqual({ mid: "data", index: 2, sdp: line });
    expect(parseCandidate("0\n0\nx")).toEqual({ mid: "0", index: 0, sdp: "x" });  // the leading newline is optional
    expect(parseCandidate("\n\n0\nx")).toBeNull();  // an empty mid leaves two parts (as in Godot's client)
    expect(parseCandidate("\n0\nz\nx")).toBeNull();  // the index must be an integer
    expect(parseCandidate("\n0\n1\nx\ny")).toBeNull();
  });

  it("cuts close reasons to 123 bytes at a character boundary", () => {
    expect(closeReason("x".repeat(200))).toHaveLength(123);
    const r = closeReason("é".repeat(100));
    expect(Buffer.byteLength(r)).toBeLessThanOrEqual(123);
    expect(r).toBe("é".repeat(61));
  });

  it("lobby names: 16 letters and digits; peer ids: 2 … 2^31 − 1", () => {
    const names = new Set(Array.from({ length: 1000 }, newLobbyName));
    expect(names.size).toBe(1000);
    for (const n of names) expect(n).toMatch(/^[A-Za-z0-9]{16}$/);
    for (let i = 0; i < 1000; i++) {
      const id = newPeerId();
      expect(Number.isInteger(id) && id >= 2 && id <= 2147483647).toBe(true);
    }
  });
});
