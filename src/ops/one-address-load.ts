/**
 * Environment for an `exodus` started to take load from this machine alone: every request comes from
 * 127.0.0.1, so the per-address and per-evacuee rate limits would turn the load away. They are
 * switched off; load shedding stays on, as in production.
 */
export const ONE_ADDRESS_LOAD_ENV: Readonly<Record<string, string>> = {
  EXODUS_IP_WRITES_PER_MINUTE: '0',
  EXODUS_IP_READS_PER_MINUTE: '0',
  EXODUS_EVACUEE_WRITES_PER_MINUTE: '0',
};
