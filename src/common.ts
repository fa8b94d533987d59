// Exports shared by the Node and browser entry points.
export const VERSION = "0.1.0";
export * from "./godot/index.js";
export * from "./debug/index.js";
