// Token buckets: `rate` per second, bursts up to one second's worth.
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(private readonly rate: number, private readonly now: () => number, burstSeconds = 1) {
    this.capacity = rate * burstSeconds;
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Whether `n` tokens are there now. Infinity rate always has them. */
  has(n: number): boolean {
    if (this.rate === Infinity) return true;
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
      this.last = t;
    }
    return this.tokens >= n;
  }

  /** Takes `n` tokens (call after has()). */
  charge(n: number): void {
    if (this.rate !== Infinity) this.tokens -= n;
  }

  take(n = 1): boolean {
    if (!this.has(n)) return false;
    this.charge(n);
    return true;
  }
}

/** A quota on datagrams and bytes per second. */
export class DatagramQuota {
  readonly packets: TokenBucket;
  readonly bytes: TokenBucket;
  constructor(packetsPerSecond: number, bytesPerSecond: number, now: () => number) {
    this.packets = new TokenBucket(packetsPerSecond, now);
    this.bytes = new TokenBucket(bytesPerSecond, now);
  }
  has(size: number): boolean {
    return this.packets.has(1) && this.bytes.has(size);
  }
  charge(size: number): void {
    this.packets.charge(1);
    this.bytes.charge(size);
  }
}

/** A datagram passes only when every quota has room for it; only then is each charged. */
export function takeAll(quotas: DatagramQuota[], size: number): boolean {
  for (const q of quotas) if (!q.has(size)) return false;
  for (const q of quotas) q.charge(size);
  return true;
}
