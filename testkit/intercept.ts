/**
 * `target` with every method call passed through `around(method, call)`: a real engine with a fault
 * in front of it (slow sends, a store that refuses for a while), never a mock of one.
 */
export function intercept<T extends object>(target: T, around: (method: string, call: () => unknown) => unknown): T {
  return new Proxy(target, {
    get(real, property, receiver) {
      const value: unknown = Reflect.get(real, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        around(String(property), () => (value as (...a: unknown[]) => unknown).apply(real, args));
    },
  });
}
