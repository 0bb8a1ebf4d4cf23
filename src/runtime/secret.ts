import { inspect } from 'node:util';

/**
 * A secret that prints, logs and serialises as `[secret]`; only `reveal()` gives the value. Given a
 * function, it is read (or made) at the first `reveal()`: a verb that never needs it never touches
 * where it is kept.
 */
export class Secret {
  #value: string | (() => string);
  constructor(value: string | (() => string)) {
    this.#value = value;
  }
  reveal(): string {
    if (typeof this.#value === 'function') this.#value = this.#value();
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return '[secret]';
  }
}
