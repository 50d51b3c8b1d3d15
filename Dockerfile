# syntax=docker/dockerfile:1
#
# The Binance live connector (bin/binance-live.ts) as a container image: the ECS
# Fargate service deployed with `-c binanceLive=true` (lib/stacks/binance-live-stack.ts).
# `cdk deploy` builds it (for linux/arm64) and pushes it to the bootstrap ECR
# repository; `cdk synth` never runs Docker, it only hashes the files .dockerignore
# lets into the build context. By hand:
#
#   docker build -t ticklake-binance-live .
#   docker run --rm -e STREAM_NAME=ticklake-dev-events -e AWS_REGION=eu-west-1 \
#     -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN ticklake-binance-live
#
# Settings (environment): see src/cli/binance-live-service.ts.

# Build stage, on the builder's own platform: its output is plain JavaScript, so
# the arm64 image builds on an x86_64 machine without emulation (BuildKit).
FROM --platform=$BUILDPLATFORM node:22-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
# The runtime dependencies at the locked versions; esbuild comes with them (a
# dependency of tsx). `npm ci` works against the public registry, whose lock
# entries include every platform's optional packages; a mirror without them
# needs `npm install --omit=dev` instead (see .ci/run).
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin/binance-live.ts bin/
COPY src/ src/
# One CommonJS file (plus its source map) with the AWS SDK and ws inside: the
# runtime image needs no node_modules.
RUN npm run -s bundle:binance-live

# Runtime stage: Node 22 and the bundle, run as the image's unprivileged `node` user.
# No RUN here, so building for another platform needs no emulation.
FROM node:22-slim
ENV NODE_ENV=production \
    WS_NO_BUFFER_UTIL=1 \
    WS_NO_UTF_8_VALIDATE=1
WORKDIR /app
COPY --from=build /build/dist/binance-live/ ./
USER node
# ECS stops a task with SIGTERM (then SIGKILL after the stop timeout): node is PID 1 and handles it.
CMD ["node", "--enable-source-maps", "index.cjs"]
