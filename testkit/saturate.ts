/**
 * Blocks this process's event loop `busyMs` out of every `busyMs + 5` ms until stopped: what
 * saturation looks like from inside a server (the tests' servers run in the test's process).
 */
export function saturate(busyMs = 120): { stop(): void } {
  const timer = setInterval(() => {
    const until = Date.now() + busyMs;
    while (Date.now() < until) {
      // busy on purpose
    }
  }, 5);
  return { stop: () => clearInterval(timer) };
}
