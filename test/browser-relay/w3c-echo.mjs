// An echo peer on a W3C RTCPeerConnection (node-datachannel in Node, the
// browser's own in a page): every message goes back on its channel as it came,
// a string as a string and binary as binary. Self-contained: the harness also
// ships this function's source to a page.
export function w3cEchoPeer(RTCPeerConnection, config, signal) {
  const pc = new RTCPeerConnection(config);
  const echo = (ch) => {
    ch.binaryType = "arraybuffer";
    ch.onmessage = (e) => {
      try {
        ch.send(e.data);
      } catch (err) {
        signal({ t: "error", message: `echo send on ${ch.label}: ${err}` });
      }
    };
  };
  pc.ondatachannel = (e) => echo(e.channel);
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      signal({ t: "cand", mid: e.candidate.sdpMid ?? "0", index: e.candidate.sdpMLineIndex ?? 0, cand: e.candidate.candidate });
    }
  };
  pc.onconnectionstatechange = () => signal({ t: "state", state: pc.connectionState });
  let chain = Promise.resolve();
  const handle = async (msg) => {
    if (msg.t === "offer-now") {
      for (const m of msg.modes) echo(pc.createDataChannel(m.label, m.opts));
      await pc.setLocalDescription(await pc.createOffer());
      signal({ t: "sdp", type: "offer", sdp: pc.localDescription.sdp });
    } else if (msg.t === "sdp") {
      await pc.setRemoteDescription({ type: msg.type, sdp: msg.sdp });
      if (msg.type === "offer") {
        await pc.setLocalDescription(await pc.createAnswer());
        signal({ t: "sdp", type: "answer", sdp: pc.localDescription.sdp });
      }
    } else if (msg.t === "cand") {
      await pc.addIceCandidate({ candidate: msg.cand, sdpMid: msg.mid, sdpMLineIndex: msg.index });
    }
  };
  return {
    // Signals are applied one after another, in the order they came.
    onSignal(msg) {
      chain = chain.then(() => handle(msg)).catch((e) => signal({ t: "error", message: `${msg.t}: ${e}` }));
    },
    close() {
      try {
        pc.close();
      } catch {
        // already closed
      }
    },
  };
}
