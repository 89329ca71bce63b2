# One image for every Node service of the compose setup: broker, server (with the built dashboard)
# and simulators. docker-compose.yml picks the role with `command:` (the commands of the npm scripts
# broker|server|simulate, run without npm so that SIGTERM reaches node; see docker-compose.yml).
#
#   docker build -t citygrid:local .
#
# The services run TypeScript through tsx (`node --import tsx ...`), which is a devDependency, so the
# runtime stage keeps the full node_modules instead of `npm prune --omit=dev`. Moving tsx to
# "dependencies" would allow pruning (vite, vitest, typescript and vue-tsc would go).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything (better-sqlite3 may compile from source) and build web/dist ----
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# manifests first, so `npm ci` stays cached until a dependency changes
COPY package.json package-lock.json ./
COPY contract/package.json contract/
COPY broker/package.json broker/
COPY server/package.json server/
COPY simulators/package.json simulators/
COPY web/package.json web/
COPY tests/package.json tests/
# the root postinstall runs this; with no web sources yet it only says so and exits 0
COPY scripts/build-web.mjs scripts/
RUN npm ci

COPY . .
RUN npm run build && test -f web/dist/index.html

# ---- runtime: same base, no compilers, non-root ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
WORKDIR /app
# sources, node_modules (with the compiled better-sqlite3) and web/dist; root-owned, read-only to `node`
COPY --from=build /app /app
# DATA_DIR of the server (SQLite database and spool files); a fresh named volume takes this ownership
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080 1883
# = npm run server
CMD ["node", "--import", "tsx", "server/src/main.ts"]
