/**
 * Environment for an `exodus` started to take load from this machine alone. Everything comes from
 * 127.0.0.1, which the defaults allow (a hall behind one address gets in), but a load run sends many
 * wishes per evacuee, which the per-evacuee limit would turn away: it is switched off. Load shedding
 * stays on, as in production.
 */
export const ONE_ADDRESS_LOAD_ENV: Readonly<Record<string, string>> = {
  EXODUS_EVACUEE_WRITES_PER_MINUTE: '0',
};
