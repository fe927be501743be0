/** Dense ids for values, interned by a string key: the classes compile() numbers. */
export class Interner<T> {
  readonly ids = new Map<string, number>();
  readonly values: T[] = [];
  /** A new id for `make()`, never shared (no key). */
  append(make: () => T): number {
    this.values.push(make());
    return this.values.length - 1;
  }
  /** The id of `key`, made with `make()` the first time. */
  intern(key: string, make: () => T): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(key, id);
      this.values.push(make());
    }
    return id;
  }
}
