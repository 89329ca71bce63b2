// A bounded map that forgets the least recently used entry first (open data's cache of past days),
// bounded by its number of entries and by the sum of their weights (rows held): a big city's day
// weighs more than a small one's, and one that alone weighs more than the cap is not kept at all.
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(readonly max: number, readonly maxWeight = Number.POSITIVE_INFINITY) {}

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key); // to the newest end
    this.map.set(key, e);
    return e.value;
  }

  set(key: K, value: V, weight = 0): void {
    this.delete(key);
    if (weight > this.maxWeight) return;
    this.map.set(key, { value, weight });
    this.total += weight;
    while (this.map.size > this.max || this.total > this.maxWeight) this.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.total -= e.weight;
  }

  get size(): number {
    return this.map.size;
  }

  /** The sum of the weights held. */
  get weight(): number {
    return this.total;
  }
}
