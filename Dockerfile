# syntax=docker/dockerfile:1
# The messenger server (and the web client it serves), one image for every node of a cluster
# and for the small load balancer (docker-compose.yml). docs/cluster.md.

FROM node:20-slim AS build
WORKDIR /app
# Native modules (better-sqlite3, argon2, bufferutil) come prebuilt; the compiler is the fallback
# for platforms without a prebuilt binary.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build \
 && npm run --if-present build:web \
 && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production \
    PORT=3001 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3001
# /api/health answers 503 while the node drains (SIGTERM), so orchestrators stop routing to it.
HEALTHCHECK --interval=5s --timeout=2s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3001)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM drains: stop accepting, finish in-flight work, move clients to other nodes, close storage.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/main.js"]
