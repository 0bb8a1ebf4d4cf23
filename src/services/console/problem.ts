import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

/** RFC 9457 problem details, as the public API sends them. */
export function sendProblem(
  reply: FastifyReply,
  problem: { status: number; slug: string; title: string; detail: string },
): FastifyReply {
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({ type: `/problems/${problem.slug}`, title: problem.title, status: problem.status, detail: problem.detail });
}

/** Every error the console answers with is problem+json: bad queries name the parameter. */
export function installProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) reply.log.error({ err: error }, 'console request failed');
    const detail = status >= 500 ? 'the console could not answer; see its log' : error.message;
    return sendProblem(reply, {
      status,
      slug: status >= 500 ? 'internal' : 'bad-request',
      title: status >= 500 ? 'Internal error' : 'Bad request',
      detail,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      status: 404,
      slug: 'not-found',
      title: 'Not found',
      detail: `no ${request.method} ${request.url.split('?')[0] ?? ''}`,
    }),
  );
}
