# The services' image: `serve frontend` by default (the frontend on Fargate); any service runs from it
# with `serve <frontend|parser|worker|tally|console>`. Multi-stage: compilers and dev dependencies stay
# in the build stages; the runtime stage has Node.js, the production node_modules and the compiled code.
#   docker build -t exodus .
#   docker run --rm -p 3000:3000 exodus                       # frontend, embedded SQLite engines
#   docker run --rm -e EXODUS_HEALTH_PORT=9464 exodus serve worker   # a consumer (its /healthz on 9464)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app

# ---- build: TypeScript → dist/src, the page and the console → dist/web (needs the dev dependencies).
FROM base AS build
COPY package.json package-lock.json ./
# --ignore-scripts: the package's "prepare" would build before the sources are here, and compiling
# needs no install script (esbuild runs from its platform package; native modules are not loaded).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

# ---- prod-deps: production dependencies only, with better-sqlite3 (the embedded engine) built for
# this platform: npm fetches its prebuilt binary, or compiles it with python3/make/g++ when there is none.
FROM base AS prod-deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --omit=dev --ignore-scripts: without dev dependencies "prepare" (npm run build) cannot run, and no
# other install script is wanted; then the one native module gets its install script back.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

# ---- runtime
FROM base AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    EXODUS_HOST=0.0.0.0 \
    EXODUS_PORT=3000 \
    EXODUS_DATA=/var/lib/exodus
# The data dir (embedded engines, a generated pass secret) is the only place the process writes; the
# code stays owned by root, so the process cannot change it.
RUN mkdir -p /var/lib/exodus && chown node:node /var/lib/exodus
COPY --from=prod-deps /app/node_modules ./node_modules
# package.json marks the package root: the code finds dist/web, proto/, slo/ and scenarios/ from it
# (src/runtime/package-root.ts), and `exodus --version` reads it.
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
COPY slo ./slo
COPY scenarios ./scenarios
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/web ./dist/web
USER node
EXPOSE 3000
# Liveness with Node itself (the slim image has no curl): /healthz on the frontend's port, or on a
# consumer's EXODUS_HEALTH_PORT. The same command is the ECS task's health check (deploy/aws/frontend.ts).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.EXODUS_HEALTH_PORT||process.env.EXODUS_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form, no shell: node is PID 1 and gets SIGTERM itself, and drains (src/runtime/shutdown.ts).
ENTRYPOINT ["node", "bin/exodus.js"]
CMD ["serve", "frontend"]
