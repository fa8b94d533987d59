// The single place that says how "our side" of an interop test or benchmark is
// made: a Godot WebRTCPeerConnection, driven only through the Godot API.
//
// Which implementation backs it:
//   * "WebRTCPeerConnectionEngine" (our own ICE/DTLS/SCTP engine in
//     WebAssembly) whenever that extension is registered — nothing to edit
//     when it lands;
//   * otherwise WebRTCPeerConnectionJS over @roamhq/wrtc's RTCPeerConnection,
//     so the whole harness runs and proves itself today.
// To force one, change OUR_SIDE below (or set WASMRTC_OUR_SIDE=engine|js-wrtc).
// Every result records which one ran (OurSideInfo).
import { createRequire } from "node:module";
import * as wasmrtc from "../../src/index.js";

export type OurSideChoice = "auto" | "engine" | "js-wrtc";
export const OUR_SIDE: OurSideChoice = (process.env.WASMRTC_OUR_SIDE as OurSideChoice | undefined) || "auto";

export const ENGINE_EXTENSION = "WebRTCPeerConnectionEngine";
export const JS_EXTENSION = "WebRTCPeerConnectionJS";

/** What initialize() gets: no servers; the engine gathers only 127.0.0.1 (other extensions ignore the key). */
export const OUR_CONFIG = { iceServers: [], wasmrtc: { bind: ["127.0.0.1"] } };

export interface OurSideInfo {
  kind: "engine" | "js-wrtc";
  extension: string;
  /** Why this one (e.g. "engine extension not registered"). */
  note: string;
}

export const { WebRTCPeerConnection, WebRTCDataChannel, Error: GodotError, set_log_sink } = wasmrtc;
export type GodotPeer = InstanceType<typeof wasmrtc.WebRTCPeerConnection>;
export type GodotChannel = InstanceType<typeof wasmrtc.WebRTCDataChannel>;

/** Everything the Godot layer printed (errors and warnings), newest last. */
export const ourLogs: string[] = [];

let prepared: Promise<OurSideInfo> | null = null;

function tryDefault(name: string): boolean {
  set_log_sink(() => {});  // set_default_extension prints an error for an unknown name
  try {
    return WebRTCPeerConnection.set_default_extension(name) === GodotError.OK;
  } finally {
    set_log_sink((level, m) => {
      ourLogs.push(`${level}: ${m}`);
      if (ourLogs.length > 2000) ourLogs.splice(0, 1000);
    });
  }
}

async function prepare(): Promise<OurSideInfo> {
  if (OUR_SIDE !== "js-wrtc" && tryDefault(ENGINE_EXTENSION)) {
    // The engine's wasm module is loaded once per process; creating connections is synchronous afterwards.
    const load = (wasmrtc as { loadNodeEngine?: () => Promise<unknown> }).loadNodeEngine;
    if (load) await load();
    return { kind: "engine", extension: ENGINE_EXTENSION, note: OUR_SIDE === "engine" ? "forced" : "registered" };
  }
  if (OUR_SIDE === "engine") throw new Error(`OUR_SIDE is "engine" but ${ENGINE_EXTENSION} is not registered`);
  const wrtc = createRequire(import.meta.url)("@roamhq/wrtc") as { RTCPeerConnection: new (cfg?: unknown) => unknown };
  wasmrtc.setRTCPeerConnectionImplementation(wrtc.RTCPeerConnection);
  if (!tryDefault(JS_EXTENSION)) throw new Error(`${JS_EXTENSION} is not registered`);
  return {
    kind: "js-wrtc",
    extension: JS_EXTENSION,
    note: OUR_SIDE === "js-wrtc" ? "forced" : `${ENGINE_EXTENSION} not registered: fallback on @roamhq/wrtc`,
  };
}

/** Chooses and prepares our side once per process. */
export function ourSide(): Promise<OurSideInfo> {
  prepared ??= prepare();
  return prepared;
}

/** A fresh, initialized Godot WebRTCPeerConnection of our side. */
export async function createOurPeer(config: Record<string, unknown> = OUR_CONFIG): Promise<GodotPeer> {
  const info = await ourSide();
  const pc = new WebRTCPeerConnection();
  const cls = (pc.constructor as { name?: string }).name;
  const err = pc.initialize(config);
  if (err !== GodotError.OK) throw new Error(`initialize() returned ${err} on ${cls} (${info.extension})`);
  return pc;
}
