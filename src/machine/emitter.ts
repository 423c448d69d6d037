/** A tiny typed event emitter that runs in Node and in a browser. */
export class Emitter<E> {
  private readonly subs: ((e: E) => void)[] = [];
  on(fn: (e: E) => void): () => void {
    this.subs.push(fn);
    return () => {
      const i = this.subs.indexOf(fn);
      if (i >= 0) this.subs.splice(i, 1);
    };
  }
  emit(e: E): void {
    for (const fn of this.subs.slice()) fn(e);
  }
}
