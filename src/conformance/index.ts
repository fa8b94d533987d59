// wasmrtc/conformance: the deterministic conformance suite, the same file in
// every runtime (no node: import). See docs/conformance.md.
export { runConformance, formatReport, scenarioNames, type ConformanceOptions, type ConformanceReport, type ScenarioResult } from "./run.js";
export { SCENARIOS, type Scenario } from "./scenarios.js";
export { World, Peer, ChannelView, FRAME_MS, type WorldOptions } from "./world.js";
export { DeterministicCryptoProvider, SeededStream } from "./deterministic-crypto.js";
export { Trace, fnv1a, combineDigests } from "./trace.js";
