// Godot-style signals: objects with connect/disconnect/emit, plus Object.connect(name, fn).
import { Error } from "./error.js";
import { printError } from "./log.js";

export type Callable = (...args: any[]) => unknown;

export class Signal<A extends unknown[] = unknown[]> {
  private handlers: Array<(...args: A) => unknown> = [];
  constructor(readonly name: string) {}

  connect(fn: (...args: A) => unknown): Error {
    if (typeof fn !== "function") {
      printError(`Signal '${this.name}': connect() needs a function.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (this.handlers.includes(fn)) {
      printError(`Signal '${this.name}' is already connected to this callable.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    this.handlers.push(fn);
    return Error.OK;
  }

  disconnect(fn: (...args: A) => unknown): void {
    const i = this.handlers.indexOf(fn);
    if (i < 0) {
      printError(`Signal '${this.name}': disconnect() of a callable that is not connected.`);
      return;
    }
    this.handlers.splice(i, 1);
  }

  is_connected(fn: (...args: A) => unknown): boolean {
    return this.handlers.includes(fn);
  }

  get_connections(): Array<(...args: A) => unknown> {
    return [...this.handlers];
  }

  /** Calls every handler in connection order; a throwing handler is reported, not propagated. */
  emit(...args: A): void {
    for (const h of [...this.handlers]) {
      try {
        h(...args);
      } catch (e) {
        printError(`Error in a '${this.name}' handler: ${(e as { message?: string })?.message ?? String(e)}`);
      }
    }
  }
}

/** Godot 3-style `obj.connect("signal_name", fn)` over the Signal properties of an object. */
export function connectByName(obj: object, name: unknown, fn: unknown): Error {
  const s = typeof name === "string" ? (obj as Record<string, unknown>)[name] : undefined;
  if (!(s instanceof Signal)) {
    printError(`Nonexistent signal: ${String(name)}.`);
    return Error.ERR_INVALID_PARAMETER;
  }
  return s.connect(fn as Callable);
}

export function disconnectByName(obj: object, name: unknown, fn: unknown): void {
  const s = typeof name === "string" ? (obj as Record<string, unknown>)[name] : undefined;
  if (!(s instanceof Signal)) {
    printError(`Nonexistent signal: ${String(name)}.`);
    return;
  }
  s.disconnect(fn as Callable);
}
