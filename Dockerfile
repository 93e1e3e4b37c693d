# syntax=docker/dockerfile:1
# One image, two roles: `serve` (the MCP server; with INGEST_BASE_URL set it uses a separate ingestion
# service) and `ingest` (the ingestion service). Build: docker build -t supervisor .
# Node 24 LTS. better-sqlite3 ^12.10 also supports 26: raise it once the test suite has run on 26.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# better-sqlite3 is a native module: when no prebuilt binary can be fetched it is compiled here,
# against this stage's Node, which is the runtime's Node.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY common ./common
COPY src ./src
COPY ingestion ./ingestion
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production \
    SUPERVISOR_HOST=0.0.0.0 \
    INGEST_HOST=0.0.0.0 \
    SUPERVISOR_BRAIN_DIR=/data/brain \
    INGEST_BRAIN_DIR=/data/brain \
    SUPERVISOR_CONFIG_DIR=/app/config/supervisor \
    SUPERVISOR_MODELS_FILE=/app/config/models.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN mkdir -p /data/brain && chown -R node:node /data
# OCI labels: the release workflow passes these build args; a build by hand gets the defaults. Declared
# late so a new version re-runs no build step.
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="supervisor" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
USER node
VOLUME ["/data/brain"]
EXPOSE 3200 3300
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/src/healthcheck.js"]
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
