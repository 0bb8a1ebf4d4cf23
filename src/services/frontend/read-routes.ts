import type { FastifyInstance } from 'fastify';
import type { Destination } from '../../domain/index.js';
import type { ReadModel } from '../../ports/index.js';
import { tallySchema, wallSchema } from './schemas.js';

/** The public reads: served from the read model, never from the system of record. */
export function registerReadRoutes(app: FastifyInstance, readModel: ReadModel): void {
  app.get('/api/wall', { schema: wallSchema }, async (request) => {
    const query = request.query as { destination?: Destination; limit: number; cursor?: string };
    return readModel.wall({
      limit: query.limit,
      ...(query.destination === undefined ? {} : { destination: query.destination }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
  });

  app.get('/api/tally', { schema: tallySchema }, async () => readModel.tally());
}
