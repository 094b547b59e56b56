# bun-infer: CPU inference server. Build: docker build -t bun-infer . ; run: docker run -p 8080:8080 bun-infer
FROM oven/bun:1.4.5-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
# bun install skips onnxruntime-node's postinstall (a CUDA download); the CPU binaries ship in the package.
RUN bun install --frozen-lockfile --production \
 # onnxruntime-node ships binaries for every OS (about 220 MB of them macOS and Windows): keep Linux only.
 && rm -rf node_modules/onnxruntime-node/bin/napi-v6/darwin node_modules/onnxruntime-node/bin/napi-v6/win32

FROM oven/bun:1.4.5-slim
WORKDIR /app
ENV NODE_ENV=production BUN_INFER_PORT=8080
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY models ./models
USER bun
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["bun", "-e", "const r = await fetch('http://127.0.0.1:' + (process.env.BUN_INFER_PORT ?? 8080) + '/health/ready'); process.exit(r.ok ? 0 : 1)"]
# SIGTERM drains: readiness 503, admitted requests finish, then exit 0.
STOPSIGNAL SIGTERM
CMD ["bun", "src/main.ts"]
