import type { FastifyInstance } from 'fastify';
import { gunzipSync } from 'node:zlib';
import type { TelemetryStore } from '../../ports/index.js';
import { decodeOtlp, OtlpDecodeError, type Signal } from './otlp-decode.js';
import { sendProblem } from './problem.js';

const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

/**
 * An OTLP/HTTP receiver (`POST /v1/traces|metrics|logs`, protobuf or JSON, optionally gzipped, as
 * Collectors send by default). Each request is stored in one transaction before it is answered, so
 * a 200 means kept; a body that is not OTLP gets 400, which tells an exporter not to retry it.
 */
export function registerOtlpReceiver(
  app: FastifyInstance,
  options: { store: TelemetryStore; maxBodyBytes: number },
): void {
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
          options.store.record(decodeOtlp(signal, body, json ? 'json' : 'protobuf'));
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
