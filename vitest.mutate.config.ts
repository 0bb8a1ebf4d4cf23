import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests Stryker runs against each mutant: those that exercise `src/` in the test's own process
 * (unit, contract, in-process integration). Tests that run the built `dist/` in child processes
 * (crash recovery, faults, the CLI) or drive Chromium cannot see a mutant of `src/`, and would only
 * make every mutant slower. The SQS contract run stays out too: its code is not in the mutation
 * scope, and its whole-second leases would slow every mutant of the shared code it uses.
 */
export default defineConfig({
  test: {
    ...base.test,
    env: { EXODUS_CONTRACT_ENGINES: 'sqlite,nats,postgres,dynamodb' },
    include: [
      'test/unit/**/*.test.ts',
      'test/contract/**/*.test.ts',
      'test/integration/{api,audit,front-door,pipeline,outage,metrics,nats-unreadable,sqlite-queue-upgrade}.test.ts',
    ],
  },
});
