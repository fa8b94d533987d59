// One peer of the Godot end-to-end test (godot-e2e.test.ts), the same code in
// Node and in a Chromium page: multiplayer_client.gd as Godot users write it —
// a SignalingClient, a WebRTCMultiplayerPeer and the SignalingMultiplayer glue,
// optionally SceneMultiplayerRaw on top — polled every few milliseconds, with
// everything it sees recorded (signals in order, every packet with its source,
// channel and mode, the bytes as hex). Only the way a connection is made
// differs between peers (spec.createPeer / spec.peerConfig): our engine,
// WebRTCPeerConnectionJS over node-datachannel, or over the page's own
// RTCPeerConnection. The harness drives it by method name; every wait is
// bounded. Self-contained: the harness ships this source to the page with
// the `export` removed.
export function makeAgent(lib, spec) {
  const { WebRTCMultiplayerPeer, SceneMultiplayerRaw, SignalingClient, SignalingMultiplayer } = lib;
  const now = () => Date.now();
  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (s) => new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let s = null;

  function stopSession() {
    if (!s) return;
    clearInterval(s.timer);
    try {
      s.glue.stop();
      s.glue.dispose();
    } catch (e) {
      s.events.push({ t: now(), what: "stop_error", error: String(e) });
    }
  }

  const predicates = {
    joined: () => (s.id !== 0 && s.lobby !== "") || s.sig !== null,
    mpPeers: (a) => s.events.filter((e) => e.what === "mp_peer_connected").length >= a.n,
    received: (a) => s.received.length >= a.n,
    scenePeers: (a) => s.scene !== null && s.scene.get_peers().length >= a.n,
    sigClosed: () => s.sig !== null,
    sealed: () => s.glue.sealed,
    event: (a) => s.events.some((e) => e.what === a.name),
  };

  /** Per member: what the signaling carried each way and where its connection stands (for failure messages). */
  function links() {
    const out = {};
    for (const [id, l] of Object.entries(s.links)) {
      const p = s.mp.has_peer(Number(id)) ? s.mp.get_peer(Number(id)) : null;
      out[id] = { ...l, conn: p ? p.connection.get_connection_state() : -1, gathering: p ? p.connection.get_gathering_state() : -1,
        signaling: p ? p.connection.get_signaling_state() : -1, channels: p ? p.channels.map((c) => c.get_ready_state()).join("") : "",
        endpoint: p && p.connection.wasmrtcEndpoint ? p.connection.wasmrtcEndpoint.stats() : undefined };
    }
    return out;
  }

  function status() {
    const mp = s.mp;
    return {
      status: mp.get_connection_status(),
      peers: Object.keys(mp.get_peers()).map(Number).sort((a, b) => a - b),
      scenePeers: s.scene ? s.scene.get_peers() : null,
      sceneDropped: s.scene ? s.scene.dropped : 0,
      sealed: s.glue.sealed,
      signalingState: s.client.get_ready_state(),
      receivedCount: s.received.length,
    };
  }

  return {
    /** multiplayer_client.gd start(url, lobby, mesh), with channels_config and, optionally, SceneMultiplayerRaw. */
    start(a) {
      stopSession();
      const mp = new WebRTCMultiplayerPeer();
      const client = new SignalingClient();
      const sess = { mp, client, glue: null, scene: null, id: 0, lobby: "", sig: null, events: [], received: [], wire: [], sends: [], offers: 0, pcKinds: [], links: {}, timer: 0 };
      s = sess;
      const ev = (what, extra = {}) => sess.events.push({ t: now(), what, ...extra });
      const createPeer = () => {
        const pc = spec.createPeer();
        sess.pcKinds.push(pc instanceof lib.WebRTCPeerConnectionJS ? "js" : pc instanceof lib.WebRTCPeerConnectionEngine ? "engine" : "other");
        const offer = pc.create_offer.bind(pc);
        pc.create_offer = () => {
          sess.offers++;
          return offer();
        };
        return pc;
      };
      sess.glue = new SignalingMultiplayer(client, mp, { peerConfig: spec.peerConfig, createPeer, channelsConfig: a.channels });
      const link = (id) => (sess.links[id] ??= { offerOut: 0, answerOut: 0, candOut: 0, offerIn: 0, answerIn: 0, candIn: 0, cands: [] });
      for (const [m, k] of [["send_offer", "offerOut"], ["send_answer", "answerOut"], ["send_candidate", "candOut"]]) {
        const f = client[m].bind(client);
        client[m] = (id, ...rest) => {
          const l = link(id);
          l[k]++;
          if (k === "candOut" && l.cands.length < 8) l.cands.push(`out ${rest.join(" ")}`);
          return f(id, ...rest);
        };
      }
      client.offer_received.connect((id) => link(id).offerIn++);
      client.answer_received.connect((id) => link(id).answerIn++);
      client.candidate_received.connect((id, mid, index, sdp) => {
        const l = link(id);
        l.candIn++;
        if (l.cands.length < 8) l.cands.push(`in ${mid} ${index} ${sdp}`);
      });
      // Connected after the glue's own handlers: on `disconnected` the glue has already reacted.
      client.connected.connect((id, useMesh) => {
        sess.id = id;
        ev("sig_connected", { id, mesh: useMesh });
      });
      client.lobby_joined.connect((lobby) => {
        sess.lobby = lobby;
        ev("sig_lobby_joined", { lobby });
      });
      client.peer_connected.connect((id) => ev("sig_peer_connected", { id }));
      client.peer_disconnected.connect((id) => ev("sig_peer_disconnected", { id }));
      client.lobby_sealed.connect(() => ev("sig_sealed"));
      client.disconnected.connect(() => {
        sess.sig = { code: client.code, reason: client.reason, t: now() };
        ev("sig_disconnected", { code: client.code, reason: client.reason });
      });
      mp.peer_connected.connect((id) => {
        const p = mp.get_peer(id);
        ev("mp_peer_connected", {
          id,
          channels: p.channels.length,
          allOpen: p.channels.every((ch) => ch.get_ready_state() === lib.WebRTCDataChannel.STATE_OPEN),
          state: p.connection.get_connection_state(),
        });
      });
      mp.peer_disconnected.connect((id) => ev("mp_peer_disconnected", { id }));
      if (a.scene) {
        const sc = new SceneMultiplayerRaw(mp);
        sess.scene = sc;
        sc.connected_to_server.connect(() => ev("scene_connected_to_server"));
        sc.connection_failed.connect(() => ev("scene_connection_failed"));
        sc.server_disconnected.connect(() => ev("scene_server_disconnected"));
        sc.peer_connected.connect((id) => ev("scene_peer_connected", { id }));
        sc.peer_disconnected.connect((id) => ev("scene_peer_disconnected", { id }));
        sc.peer_packet.connect((id, data) => sess.received.push({ t: now(), from: id, hex: hex(data) }));
        // Every packet SceneMultiplayerRaw reads from the multiplayer peer, as the wire brought it.
        const get = mp.get_packet.bind(mp);
        mp.get_packet = () => {
          const r = { from: mp.get_packet_peer(), channel: mp.get_packet_channel(), mode: mp.get_packet_mode() };
          const d = get();
          sess.wire.push({ t: now(), ...r, hex: hex(d) });
          return d;
        };
      }
      const drain = () => {
        // What a game's _process() does with a bare WebRTCMultiplayerPeer: poll, then read every packet.
        mp.poll();
        for (let i = 0; i < 1000 && mp.get_connection_status() === 2 && mp.get_available_packet_count() > 0; i++) {
          const from = mp.get_packet_peer();
          const channel = mp.get_packet_channel();
          const mode = mp.get_packet_mode();
          const d = mp.get_packet();
          const err = mp.get_packet_error();
          sess.received.push({ t: now(), from, channel, mode, err, hex: hex(d) });
          if (err !== 0) break;
        }
      };
      sess.timer = setInterval(() => {
        try {
          if (sess.scene) sess.scene.poll();
          else drain();
        } catch (e) {
          ev("poll_error", { error: String(e && e.stack ? e.stack : e) });
        }
      }, a.pollMs ?? 5);
      const err = sess.glue.start(a.url, a.lobby ?? "", a.mesh !== false);
      ev("start", { err, lobby: a.lobby ?? "", mesh: a.mesh !== false });
      return { err };
    },

    /** Waits (at most timeoutMs) for a predicate; resolves with whether it held and the state. */
    async wait(a) {
      const end = now() + (a.timeoutMs ?? 5000);
      const p = predicates[a.what];
      if (!p) throw new Error(`no predicate ${a.what}`);
      while (!p(a) && now() < end) await sleep(5);
      const ok = p(a);
      return { ok, id: s.id, lobby: s.lobby, sig: s.sig, ...status(), ...(ok ? {} : { links: links() }) };
    },

    /** Sends every packet of the plan at once, as a game does in one frame. */
    send(a) {
      const out = [];
      for (const m of a.sends) {
        const bytes = unhex(m.hex);
        let err;
        if (s.scene) {
          err = s.scene.send_bytes(bytes, m.target, m.mode, m.channel);
        } else {
          s.mp.set_target_peer(m.target);
          s.mp.set_transfer_mode(m.mode);
          s.mp.set_transfer_channel(m.channel);
          err = s.mp.put_packet(bytes);
        }
        s.sends.push({ t: now(), ...m, err });
        out.push(err);
      }
      return out;
    },

    seal() {
      const t = now();
      const err = s.client.seal_lobby();
      s.events.push({ t, what: "seal_called", err });
      return { t, err };
    },

    /** multiplayer_client.gd stop(): the multiplayer peer and the signaling go; polling goes on (the scene sees the status). */
    leave() {
      const t = now();
      s.events.push({ t, what: "leave" });
      s.glue.stop();
      return { t };
    },

    status: () => status(),

    report() {
      if (!s) return { name: spec.name, kind: spec.kind, id: 0, lobby: "", sig: null, offers: 0, pcKinds: [], events: [], received: [], wire: [], sends: [], links: {}, status: 0, peers: [] };
      return { name: spec.name, kind: spec.kind, id: s.id, lobby: s.lobby, sig: s.sig, offers: s.offers, pcKinds: s.pcKinds,
        events: s.events, received: s.received, wire: s.wire, sends: s.sends, links: links(), ...status() };
    },

    stop() {
      stopSession();
      return true;
    },
  };
}
