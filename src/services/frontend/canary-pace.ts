import type { onRequestAsyncHookHandler } from 'fastify';
import { isCanary } from '../../domain/index.js';
import type { RateGuards } from './rate-limits.js';

/**
 * The synthetic canary's writes are not limited per evacuee: its pace is the operator's
 * (`exodus up --canary-interval`, one wish every 10 s by default, exactly the default allowance of
 * 6 a minute), and a limit meant for people must not fail the probe. Everything else at the door —
 * the pass, the body, load shedding — it meets like anyone.
 */
export function canaryPacedByItsOperator(guards: RateGuards): RateGuards {
  const exempt = (hook: onRequestAsyncHookHandler): onRequestAsyncHookHandler =>
    async function (request, reply) {
      if (request.evacueeId !== undefined && isCanary(request.evacueeId)) return;
      return hook.call(this, request, reply);
    };
  return { ...guards, writeByEvacuee: guards.writeByEvacuee.map(exempt) };
}
