// Godot-style signals: objects with connect/disconnect/emit (Godot 4:
// `obj.sig.connect(callable, flags)`), and both by-name forms on the owning
// object: Godot 4's `obj.connect("sig", callable, flags)` and Godot 3's
// `obj.connect("sig", target, "method", binds = [], flags = 0)`.
import { Error } from "./error.js";
import { printError } from "./log.js";

export type Callable = (...args: any[]) => unknown;

/** Object.ConnectFlags (the same numbers in Godot 3 and 4). */
export const ConnectFlags = { CONNECT_DEFERRED: 1, CONNECT_PERSIST: 2, CONNECT_ONESHOT: 4, CONNECT_ONE_SHOT: 4, CONNECT_REFERENCE_COUNTED: 8 } as const;
export const CONNECT_DEFERRED = 1;
export const CONNECT_PERSIST = 2;
export const CONNECT_ONESHOT = 4;
export const CONNECT_ONE_SHOT = 4;
export const CONNECT_REFERENCE_COUNTED = 8;

interface Connection {
  fn?: Callable;
  target?: object;
  method?: string;
  binds: unknown[];
  flags: number;
  /** Reference-counted connections: how many times connect() was called. */
  refs: number;
}

const isFlags = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 16;

export class Signal<A extends unknown[] = unknown[]> {
  private connections: Connection[] = [];
  constructor(readonly name: string) {}

  private find(fn?: Callable, target?: object, method?: string): number {
    return this.connections.findIndex((c) => (fn ? c.fn === fn : c.target === target && c.method === method));
  }

  private add(c: Omit<Connection, "refs">): Error {
    if (!isFlags(c.flags)) {
      printError(`Signal '${this.name}': flags must be a combination of CONNECT_* values.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    const i = this.find(c.fn, c.target, c.method);
    if (i >= 0) {
      if (c.flags & CONNECT_REFERENCE_COUNTED && this.connections[i]!.flags & CONNECT_REFERENCE_COUNTED) {
        this.connections[i]!.refs++;
        return Error.OK;
      }
      printError(`Signal '${this.name}' is already connected to this ${c.fn ? "callable" : `method '${c.method}'`}.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    this.connections.push({ ...c, refs: 1 });
    return Error.OK;
  }

  /** Godot 4: connect(callable, flags = 0). */
  connect(fn: (...args: A) => unknown, flags: number = 0): Error {
    if (typeof fn !== "function") {
      printError(`Signal '${this.name}': connect() needs a function.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    return this.add({ fn: fn as Callable, binds: [], flags });
  }

  /** Godot 3: connect to `target[method]`, with `binds` appended to the signal's arguments. */
  connect_method(target: unknown, method: unknown, binds: unknown = [], flags: unknown = 0): Error {
    if (typeof target !== "object" || target === null || typeof method !== "string") {
      printError(`Signal '${this.name}': connect() needs a target object and a method name.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (typeof (target as Record<string, unknown>)[method] !== "function") {
      printError(`Signal '${this.name}': the target has no method '${method}'.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (!Array.isArray(binds)) {
      printError(`Signal '${this.name}': binds must be an Array.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    return this.add({ target, method, binds: [...binds], flags: flags as number });
  }

  disconnect(fn: (...args: A) => unknown): void {
    this.remove(this.find(fn as Callable), "callable");
  }

  disconnect_method(target: unknown, method: unknown): void {
    this.remove(this.find(undefined, target as object, method as string), `method '${String(method)}'`);
  }

  private remove(i: number, what: string): void {
    if (i < 0) {
      printError(`Signal '${this.name}': disconnect() of a ${what} that is not connected.`);
      return;
    }
    const c = this.connections[i]!;
    if (c.flags & CONNECT_REFERENCE_COUNTED && --c.refs > 0) return;
    this.connections.splice(i, 1);
  }

  is_connected(fn: (...args: A) => unknown): boolean {
    return this.find(fn as Callable) >= 0;
  }

  is_connected_method(target: unknown, method: unknown): boolean {
    return this.find(undefined, target as object, method as string) >= 0;
  }

  get_connections(): Array<(...args: A) => unknown> {
    return this.connections.map((c) => c.fn ?? ((...a: unknown[]) => this.invoke(c, a)));
  }

  private invoke(c: Connection, args: unknown[]): void {
    const all = c.binds.length ? [...args, ...c.binds] : args;
    try {
      if (c.fn) c.fn(...all);
      else {
        const m = (c.target as Record<string, unknown>)[c.method!];
        if (typeof m !== "function") {
          printError(`Signal '${this.name}': the target no longer has method '${c.method}'.`);
          return;
        }
        (m as Callable).apply(c.target, all);
      }
    } catch (e) {
      printError(`Error in a '${this.name}' handler: ${(e as { message?: string })?.message ?? String(e)}`);
    }
  }

  /**
   * Calls every connection in connection order; a throwing handler is
   * reported, not propagated. One-shot connections are removed before their
   * call; deferred ones run after the current call stack (a microtask), where
   * Godot would run them at the end of the frame.
   */
  emit(...args: A): void {
    for (const c of [...this.connections]) {
      if (c.flags & CONNECT_ONESHOT) {
        const i = this.connections.indexOf(c);
        if (i < 0) continue;
        this.connections.splice(i, 1);
      } else if (!this.connections.includes(c)) {
        continue;  // disconnected by an earlier handler of this emission
      }
      if (c.flags & CONNECT_DEFERRED) queueMicrotask(() => this.invoke(c, args));
      else this.invoke(c, args);
    }
  }
}

function signalOf(obj: object, name: unknown): Signal | null {
  const s = typeof name === "string" ? (obj as Record<string, unknown>)[name] : undefined;
  if (!(s instanceof Signal)) {
    printError(`Nonexistent signal: ${String(name)}.`);
    return null;
  }
  return s;
}

/**
 * By name: `connect("sig", callable, flags?)` (Godot 4) or
 * `connect("sig", target, "method", binds?, flags?)` (Godot 3).
 */
export function connectByName(obj: object, name: unknown, fnOrTarget: unknown, ...rest: unknown[]): Error {
  const s = signalOf(obj, name);
  if (!s) return Error.ERR_INVALID_PARAMETER;
  if (typeof fnOrTarget === "function") return s.connect(fnOrTarget as Callable, (rest[0] ?? 0) as number);
  if (typeof rest[0] === "string") return s.connect_method(fnOrTarget, rest[0], rest[1] ?? [], rest[2] ?? 0);
  return s.connect(fnOrTarget as Callable);  // reports what is wrong
}

export function disconnectByName(obj: object, name: unknown, fnOrTarget: unknown, method?: unknown): void {
  const s = signalOf(obj, name);
  if (!s) return;
  if (typeof fnOrTarget === "function") s.disconnect(fnOrTarget as Callable);
  else s.disconnect_method(fnOrTarget, method);
}

export function isConnectedByName(obj: object, name: unknown, fnOrTarget: unknown, method?: unknown): boolean {
  const s = typeof name === "string" ? (obj as Record<string, unknown>)[name] : undefined;
  if (!(s instanceof Signal)) return false;
  return typeof fnOrTarget === "function" ? s.is_connected(fnOrTarget as Callable) : s.is_connected_method(fnOrTarget, method);
}

/** The by-name methods every object with signals has (Godot's Object.connect / disconnect / is_connected). */
export interface SignalOwner {
  connect(signal: unknown, fnOrTarget: unknown, ...rest: unknown[]): Error;
  disconnect(signal: unknown, fnOrTarget: unknown, method?: unknown): void;
  is_connected(signal: unknown, fnOrTarget: unknown, method?: unknown): boolean;
}
