// Node entry point.
export * from "./common.js";
