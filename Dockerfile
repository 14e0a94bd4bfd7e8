# voicebridge serve in a container: Node 22, production dependencies only, run as the unprivileged `node` user.
# Configure it with environment variables (the same names as .env; see .env.example), e.g.
#   docker build -t voicebridge .
#   docker run --env-file .env -p 5000:5000 voicebridge
# Stopping the container sends SIGTERM: serve stops taking calls and lets those in progress finish for up to
# DRAIN_TIMEOUT_MS (default 25 s), so give it that long: docker stop -t 30, or terminationGracePeriodSeconds: 30.

# Build: the TypeScript compiler lives in devDependencies, so dist/ is compiled here and copied out.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.page.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PORT=5000
WORKDIR /app
COPY package.json package-lock.json ./
# No dev or optional dependencies (the ngrok tunnel is for development), and no install scripts to run.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist ./dist
RUN ln -s /app/bin/voicebridge.js /usr/local/bin/voicebridge
USER node
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["voicebridge", "serve", "--log-format", "json"]
