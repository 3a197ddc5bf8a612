# syntax=docker/dockerfile:1.7
# The images of every Urbis service: one recipe, the service chosen with --build-arg SERVICE
# (the five differ only in name and ports). Build from the repository root:
#   docker build --build-arg SERVICE=devices --build-arg PORTS=8082 --target runtime -t <registry>/urbis-platform/devices:<version> .
#   docker build --build-arg SERVICE=devices --target migrate -t <registry>/urbis-platform/devices-migrate:<version> .
# runtime: the nx build output (dist/apps/<service>: main.js, its generated package.json and lock,
# prisma/) with production dependencies only. migrate: what `prisma migrate deploy` needs
# (docs/deploy.md, "Images"). docker-compose.yml passes the arguments for each service.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN case "$SERVICE" in connectivity|devices|integration|data|security) ;; \
      *) echo "--build-arg SERVICE=<connectivity|devices|integration|data|security> is required" >&2; exit 1 ;; esac
WORKDIR /workspace
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx nx build "$SERVICE" --outputStyle=static --skip-nx-cache

FROM ${NODE_IMAGE} AS runtime-deps
ARG SERVICE
WORKDIR /app
COPY --from=build /workspace/dist/apps/${SERVICE}/package.json /workspace/dist/apps/${SERVICE}/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
# The service's ports (HTTP first; connectivity adds MQTT 1883 and 8883). Documentation only:
# each service listens on its own default port unless PORT says otherwise.
ARG PORTS
ENV NODE_ENV=production HOST=0.0.0.0 HOME=/tmp
WORKDIR /app
COPY --from=runtime-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /workspace/dist/apps/${SERVICE}/ ./
# Numeric user, so Kubernetes can verify runAsNonRoot; the files stay root-owned (read-only).
USER 10001:10001
EXPOSE ${PORTS}
CMD ["node", "main.js"]

FROM ${NODE_IMAGE} AS migrate-deps
WORKDIR /migrate
COPY package-lock.json ./
# Only the migration toolchain, at the versions of the repository's lock file.
RUN node -e "const l=require('./package-lock.json').packages;const d={};for(const n of ['prisma','@prisma/adapter-pg','pg','pg-connection-string'])d[n]=l['node_modules/'+n].version;require('fs').writeFileSync('package.json',JSON.stringify({name:'urbis-migrate',private:true,dependencies:d}))" \
  && rm package-lock.json && npm install --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS migrate
ARG SERVICE
ENV NODE_ENV=production HOME=/tmp SERVICE=${SERVICE}
WORKDIR /migrate
COPY --from=migrate-deps --chown=root:root /migrate/node_modules ./node_modules
COPY --chown=root:root apps/${SERVICE}/prisma.config.ts apps/${SERVICE}/prisma.config.ts
COPY --chown=root:root apps/${SERVICE}/prisma apps/${SERVICE}/prisma
COPY --chown=root:root tools/prisma tools/prisma
USER 10001:10001
# Shell form of `prisma migrate deploy --config apps/<service>/prisma.config.ts`: exec keeps prisma as PID 1.
CMD ["/bin/sh", "-c", "exec node node_modules/prisma/build/index.js migrate deploy --config apps/${SERVICE}/prisma.config.ts"]
