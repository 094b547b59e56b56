# bun-infer: CPU inference server with its models baked in.
#   docker build -t bun-infer:0.1.0 .   ;   docker run -p 8080:8080 bun-infer:0.1.0 [--workers 4 ...]
# No container engine runs in CI, so test/e2e/deploy/production-install.test.ts proves these steps
# without one: it copies what the COPY lines below name into a clean folder, runs the same production
# install there, starts the server from it, and waits for readiness and one prediction.
#
# The base is pinned by its version tag (Bun 1.4.5 on Debian slim: glibc, which sharp's and onnxruntime's
# prebuilt binaries need). No digest for this tag is published in a place we could check from here; to pin
# one: `docker buildx imagetools inspect oven/bun:1.4.5-slim` and write FROM oven/bun:1.4.5-slim@sha256:….
FROM oven/bun:1.4.5-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
# Production dependencies only. bun install skips onnxruntime-node's postinstall (a CUDA download); the
# CPU binaries ship in the package.
RUN bun install --frozen-lockfile --production \
 # onnxruntime-node ships binaries for every OS (about 220 MB of them macOS and Windows): keep Linux only.
 && rm -rf node_modules/onnxruntime-node/bin/napi-v6/darwin node_modules/onnxruntime-node/bin/napi-v6/win32

FROM oven/bun:1.4.5-slim
LABEL org.opencontainers.image.title="bun-infer" \
      org.opencontainers.image.description="Bun-native inference server for ONNX image classifiers (the models under models/ baked in)" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.base.name="docker.io/oven/bun:1.4.5-slim"
WORKDIR /app
ENV NODE_ENV=production BUN_INFER_PORT=8080
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY models ./models
# The prediction log's folder (BUN_INFER_DATA_DIR) is the one place the server writes; mount a volume there to keep it.
RUN mkdir -p data && chown bun:bun data
# The image's own unprivileged user (uid 1000); the files stay root's, read-only to the server.
USER bun
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["bun", "-e", "const tls = !!process.env.BUN_INFER_TLS_CERT_FILE; const r = await fetch((tls ? 'https' : 'http') + '://127.0.0.1:' + (process.env.BUN_INFER_PORT ?? 8080) + '/health/ready', tls ? { tls: { rejectUnauthorized: false } } : {}); process.exit(r.ok ? 0 : 1)"]
# SIGTERM drains: readiness 503, admitted requests finish, then exit 0. Exec form, no shell in between:
# bun is PID 1 and gets the signal itself. Arguments to `docker run` are appended as flags.
STOPSIGNAL SIGTERM
ENTRYPOINT ["bun", "src/main.ts"]
