// Cuts generated text at the first stop string, holding back any tail that could still become one,
// so a streamed response never shows the start of a stop sequence.

export class StopDetector {
  readonly #stops: readonly string[];
  #text = '';
  #emitted = 0;
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop.length > 0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** All text released so far. */
  get text(): string {
    return this.#text.slice(0, this.#emitted);
  }

  /** Adds generated text; returns the part that is now safe to show. */
  push(chunk: string): string {
    if (this.#stopped) return '';
    this.#text += chunk;
    if (this.#stops.length === 0) {
      // Nothing to hold back: release the chunk as is, without searching or slicing.
      this.#emitted = this.#text.length;
      return chunk;
    }
    let cut = -1;
    for (const stop of this.#stops) {
      const at = this.#text.indexOf(stop, Math.max(0, this.#emitted - stop.length + 1));
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#stopped = true;
      return this.#release(cut);
    }
    return this.#release(this.#text.length - this.#heldBack());
  }

  /** Releases whatever was held back (generation ended without a stop string). */
  flush(): string {
    if (this.#stopped) return '';
    return this.#release(this.#text.length);
  }

  /** Length of the longest tail of the text that is a proper prefix of a stop string. */
  #heldBack(): number {
    let longest = 0;
    for (const stop of this.#stops) {
      for (let n = Math.min(stop.length - 1, this.#text.length); n > longest; n--) {
        if (this.#text.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }

  #release(upTo: number): string {
    const end = Math.max(upTo, this.#emitted);
    const out = this.#text.slice(this.#emitted, end);
    this.#emitted = end;
    return out;
  }
}
