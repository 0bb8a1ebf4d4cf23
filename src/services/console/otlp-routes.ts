import type { FastifyInstance } from 'fastify';
import { gunzipSync } from 'node:zlib';
import type { TelemetryStore } from '../../ports/index.js';
import { deployEvent, DeployWatch, MEMORY_MS } from './deploys.js';
import { decodeOtlp, OtlpDecodeError, type Signal } from './otlp-decode.js';
import { sendProblem } from './problem.js';

const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

/**
 * An OTLP/HTTP receiver (`POST /v1/traces|metrics|logs`, protobuf or JSON, optionally gzipped, as
 * Collectors send by default). Each request is stored in one transaction before it is answered, so
 * a 200 means kept; a body that is not OTLP gets 400, which tells an exporter not to retry it.
 * A process heard running a version its service had not run lately is a deploy: its event is
 * stored with the request (deploys.ts).
 */
export function registerOtlpReceiver(
  app: FastifyInstance,
  options: { store: TelemetryStore; maxBodyBytes: number },
): void {
  const deploys = new DeployWatch(options.store.instances(Date.now() - MEMORY_MS));
  void app.register(async (otlp) => {
    otlp.removeAllContentTypeParsers();
    otlp.addContentTypeParser(
      ['application/x-protobuf', 'application/json'],
      { parseAs: 'buffer', bodyLimit: options.maxBodyBytes },
      (_request, body, done) => {
        done(null, body);
      },
    );
    for (const signal of SIGNALS) {
      otlp.post(`/v1/${signal}`, { schema: { hide: true } }, async (request, reply) => {
        const json = (request.headers['content-type'] ?? '').startsWith('application/json');
        try {
          const raw = request.body as Buffer;
          const body =
            request.headers['content-encoding'] === 'gzip'
              ? gunzipSync(raw, { maxOutputLength: options.maxBodyBytes * 8 })
              : raw;
          const decoded = decodeOtlp(signal, body, json ? 'json' : 'protobuf');
          const deployed = deploys.observe(decoded.instances).map(deployEvent);
          options.store.record(deployed.length === 0 ? decoded : { ...decoded, logs: [...decoded.logs, ...deployed] });
        } catch (error) {
          if (!(error instanceof OtlpDecodeError) && !isZlibError(error)) throw error;
          return sendProblem(reply, {
            status: 400,
            slug: 'bad-otlp',
            title: 'Not an OTLP request',
            detail: error.message,
          });
        }
        // An empty Export*ServiceResponse: full success, in the encoding the sender used.
        return json
          ? reply.type('application/json').send('{}')
          : reply.type('application/x-protobuf').send(Buffer.alloc(0));
      });
    }
  });
}

function isZlibError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    /^(Z_|ERR_BUFFER_TOO_LARGE)/.test((error as NodeJS.ErrnoException).code ?? '')
  );
}
