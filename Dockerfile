# syntax=docker/dockerfile:1.7
#
# The Node services, one image per target (docs/containers.md):
#   docker build --target api .      (also: idp, ticketing, organizations, chroma)
# Stages: deps (the whole workspace installed, with the toolchain better-sqlite3 builds with) → build
# (tsc for the services only) → prod-deps (production dependencies only) → base (slim: the built kit and
# contracts) → runtime (without Chroma's native server, non-root) → one target per service (chroma on
# base, with the native server): its port, its command (`node services/<name>`, the package's main) and
# its health check. Debian bookworm, not Alpine: better-sqlite3 and Chroma's native bindings are glibc builds
# (bindings 1.0.5 need glibc < 2.38; bookworm has 2.36, see DESIGN.md "Versions").

ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Electron's and Playwright's installs would download browsers; nothing here needs them.
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY services/kit/package.json services/kit/
COPY services/idp/package.json services/idp/
COPY services/ticketing/package.json services/ticketing/
COPY services/organizations/package.json services/organizations/
COPY services/api/package.json services/api/
COPY services/chroma/package.json services/chroma/
COPY main/package.json main/
COPY renderer/package.json renderer/
RUN npm ci

FROM deps AS build
COPY tsconfig.base.json ./
COPY contracts contracts
COPY services services
# The services and what they reference (contracts, kit); main (Electron) is not part of any image.
RUN npx tsc -b contracts services/kit services/idp services/ticketing services/organizations services/api services/chroma

FROM deps AS prod-deps
# Production dependencies of the root and the service workspaces only (no Angular, no Electron, no
# test tools); better-sqlite3 compiles here, with the toolchain of `deps`.
RUN rm -rf node_modules \
 && npm ci --omit=dev --include-workspace-root \
      -w contracts -w services/kit -w services/idp -w services/ticketing \
      -w services/organizations -w services/api -w services/chroma \
 && npm cache clean --force

# Chroma's native server (its bindings, about 420 of the 540 MB of production dependencies) runs in the
# chroma image only; the API's Chroma client is plain JavaScript.
FROM prod-deps AS prod-deps-services
RUN rm -rf node_modules/chromadb-js-bindings-*

FROM ${NODE_IMAGE} AS base
ENV NODE_ENV=production HOST=0.0.0.0 MSI_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/contracts/package.json contracts/
COPY --from=build /app/contracts/dist contracts/dist
COPY --from=build /app/services/kit/package.json services/kit/
COPY --from=build /app/services/kit/dist services/kit/dist
COPY deploy/healthcheck.mjs deploy/healthcheck.mjs
# The data dir (and the backups dir the API's production readiness checks) belong to the unprivileged
# user the services run as, also as fresh named volumes; the code stays root's, read-only.
RUN mkdir -p /data /backups && chown node:node /data /backups

FROM base AS runtime
COPY --from=prod-deps-services /app/node_modules node_modules
# The API's built-in documentation (ingested on first start; DEFAULT_DOCS_DIR is <repo>/resources/docs).
COPY resources resources
USER node

FROM runtime AS idp
COPY --from=build /app/services/idp/package.json services/idp/
COPY --from=build /app/services/idp/dist services/idp/dist
ENV PORT=9400
EXPOSE 9400
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "deploy/healthcheck.mjs", "/healthz"]
CMD ["node", "services/idp"]

FROM runtime AS ticketing
COPY --from=build /app/services/ticketing/package.json services/ticketing/
COPY --from=build /app/services/ticketing/dist services/ticketing/dist
ENV PORT=9000
EXPOSE 9000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "deploy/healthcheck.mjs", "/healthz"]
CMD ["node", "services/ticketing"]

FROM runtime AS organizations
COPY --from=build /app/services/organizations/package.json services/organizations/
COPY --from=build /app/services/organizations/dist services/organizations/dist
ENV PORT=9001
EXPOSE 9001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "deploy/healthcheck.mjs", "/healthz"]
CMD ["node", "services/organizations"]

FROM runtime AS api
COPY --from=build /app/services/api/package.json services/api/
COPY --from=build /app/services/api/dist services/api/dist
ENV PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "deploy/healthcheck.mjs", "/healthz"]
CMD ["node", "services/api"]

FROM base AS chroma
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /app/services/chroma/package.json services/chroma/
COPY --from=build /app/services/chroma/dist services/chroma/dist
USER node
ENV PORT=8001
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "deploy/healthcheck.mjs", "/api/v2/heartbeat"]
CMD ["node", "services/chroma"]

# The daily backup (deploy/backup/run.sh → scripts/backup.mjs): pg_dump of the server's major version.
FROM runtime AS backup
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/backup.mjs scripts/backup.mjs
COPY --chmod=0755 deploy/backup/run.sh deploy/backup/run.sh
USER node
ENV MSI_DATA_DIR=/data CHROMA_PATH=/chroma/chroma
# Healthy while the newest archive is at most 26 hours old (the API's BACKUP_MAX_AGE_HOURS default).
HEALTHCHECK --interval=5m --timeout=10s --start-period=10m --retries=1 CMD ["sh", "-c", "find /backups -name 'msi-backup-*.tar.gz' -mmin -1560 | grep -q ."]
CMD ["deploy/backup/run.sh"]
