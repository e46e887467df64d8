# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and the compiled code, as a non-root user.
# Migrations run on start-up (serialized by an advisory lock across instances), on
# MIGRATIONS_DATABASE_URL when set (behind a transaction pooler: deploy/docker-compose.pgbouncer.yml).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# On SIGTERM, /health/ready answers 503 for 5 s while requests are still served, so
# that load balancers stop routing here before connections close (README, Shutdown).
ENV SHUTDOWN_DELAY_MS=5000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Liveness for `docker ps` / orchestrators without probes of their own; readiness is /health/ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
