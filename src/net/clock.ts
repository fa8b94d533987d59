// Time for the pump: a real clock for production, a virtual one for tests.
export type TimerHandle = number;

export interface Clock {
  /** Milliseconds on a monotonic clock (fractional allowed). */
  now(): number;
  /** Calls `cb` once when now() >= atMs. */
  setTimer(atMs: number, cb: () => void): TimerHandle;
  clearTimer(h: TimerHandle): void;
}

export class RealClock implements Clock {
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private next = 1;
  /** With unref, pending timers do not keep a Node process alive. */
  constructor(private readonly opts: { unref?: boolean } = {}) {}

  now(): number {
    return performance.now();
  }

  setTimer(atMs: number, cb: () => void): TimerHandle {
    const id = this.next++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      cb();
    }, Math.max(0, atMs - this.now()));
    if (this.opts.unref) (t as { unref?: () => void }).unref?.();
    this.timers.set(id, t);
    return id;
  }

  clearTimer(h: TimerHandle): void {
    const t = this.timers.get(h);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(h);
  }

  /** Number of armed timers (leak checks). */
  get pending(): number {
    return this.timers.size;
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  seq: number;
  cb: () => void;
}

/** Manual time: timers fire in time order (FIFO for equal times) only when the test advances the clock. */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private nextId = 1;
  private timers: VirtualTimer[] = [];

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimer(atMs: number, cb: () => void): TimerHandle {
    const id = this.nextId++;
    const timer = { id, at: Math.max(atMs, this.t), seq: this.seq++, cb };
    // Keep sorted by (at, seq); insertion from the back is cheap for typical use.
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1]!.at > timer.at)) i--;
    this.timers.splice(i, 0, timer);
    return id;
  }

  clearTimer(h: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.id === h);
    if (i >= 0) this.timers.splice(i, 1);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Time of the earliest timer, or Infinity. */
  nextTimerAt(): number {
    return this.timers.length ? this.timers[0]!.at : Infinity;
  }

  /** Fires every timer due up to now + ms, then sets the clock to now + ms. */
  advance(ms: number, maxSteps = 1_000_000): void {
    const end = this.t + ms;
    for (let steps = 0; steps < maxSteps && this.timers.length && this.timers[0]!.at <= end; steps++) this.fireNext();
    this.t = Math.max(this.t, end);
  }

  /** Runs timers until `done()` holds or limitMs of virtual time passed; returns whether done() held. */
  runUntil(done: () => boolean, limitMs = 60_000, maxSteps = 1_000_000): boolean {
    const end = this.t + limitMs;
    for (let steps = 0; steps < maxSteps; steps++) {
      if (done()) return true;
      if (!this.timers.length || this.timers[0]!.at > end) break;
      this.fireNext();
    }
    if (done()) return true;
    this.t = Math.max(this.t, end);
    return false;
  }

  private fireNext(): void {
    const timer = this.timers.shift()!;
    this.t = Math.max(this.t, timer.at);
    timer.cb();
  }
}
