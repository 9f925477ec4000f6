# syntax=docker/dockerfile:1
# kubellama's images: one Dockerfile, one target per image. `npm run images` builds them and tags
# them exactly as charts/images.ts pins them.
#   runtime       kubellama-runtime on CPU: node-llama-cpp with only its linux-x64 CPU prebuilt
#   runtime-cuda  the same on NVIDIA's CUDA runtime base, with node-llama-cpp's CUDA prebuilts
#   operator      kubellama-operator: one bundled file, no node-llama-cpp
# Final stages hold node, tini, the JS bundled from dist/ and an SBOM: no npm, no TypeScript, no
# devDependencies. They run as UID/GID 65532 and write nothing outside /tmp and the model folder,
# so they work with readOnlyRootFilesystem.

ARG NODE_IMAGE=docker.io/library/node:20.20.2-bookworm-slim
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim
# CUDA 12: node-llama-cpp's CUDA 13 build needs driver ≥ 580; its CUDA 12 fallback
# (@node-llama-cpp/linux-x64-cuda-ext) runs on the drivers most GPU nodes have.
ARG CUDA_IMAGE=docker.io/nvidia/cuda:12.9.1-runtime-ubuntu22.04

# ---- build: compile TypeScript, bundle each entry point with its JS dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
# The npm cache mount is shared with llama-deps below: each package is downloaded once.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
# The SBOM every image carries at /usr/share/kubellama/sbom.cdx.json (CycloneDX, npm sbom, offline):
# every production package of the lock as installed here — a superset of what any one image holds
# (SECURITY.md says which). npm names the root after the folder; it is kubellama.
RUN mkdir -p sbom \
 && npm sbom --omit=dev --sbom-format=cyclonedx --sbom-type=application > sbom/raw.json \
 && node -e 'const fs = require("fs"); const s = JSON.parse(fs.readFileSync("sbom/raw.json", "utf8")); \
      s.metadata.component.name = "kubellama"; fs.writeFileSync("sbom/sbom.cdx.json", JSON.stringify(s, null, 1))' \
 && rm sbom/raw.json
COPY tsconfig.json tsconfig.build.json ./
COPY crds crds
COPY charts charts
COPY lib lib
COPY operator operator
COPY runtime runtime
COPY images/bundle.ts images/bundle.ts
RUN npm run build && npm run bundle

# ---- llama-deps: node-llama-cpp and its own dependencies, the one package the bundle leaves out
# (it loads native binaries from its package folder). Everything else is pruned.
FROM ${NODE_IMAGE} AS llama-deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
# typescript is only an optional peer of node-llama-cpp (its type declarations): removed too.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm pkg get dependencies | node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); \
      for (const name of Object.keys(d)) if (name !== "node-llama-cpp") console.log("dependencies." + name)' \
    | xargs npm pkg delete \
 && npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/.package-lock.json

FROM llama-deps AS llama-cpu
RUN find node_modules/@node-llama-cpp -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +

FROM llama-deps AS llama-cuda
RUN find node_modules/@node-llama-cpp -mindepth 1 -maxdepth 1 \
      ! -name linux-x64 ! -name linux-x64-cuda ! -name linux-x64-cuda-ext -exec rm -rf {} +

FROM ${NODE_IMAGE} AS node

# ---- what every final stage holds besides its base: node, tini, the bundle and its command
FROM scratch AS common-files
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=build /usr/bin/tini-static /usr/bin/tini
COPY --from=build /src/sbom/sbom.cdx.json /usr/share/kubellama/sbom.cdx.json

FROM common-files AS runtime-files
COPY --from=build /src/dist/bundle/kubellama-runtime.mjs /app/
COPY images/kubellama-runtime /usr/local/bin/kubellama-runtime

FROM common-files AS operator-files
COPY --from=build /src/dist/bundle/kubellama-operator.mjs /app/
COPY images/kubellama-operator /usr/local/bin/kubellama-operator

# ---- runtime (CPU)
FROM ${BASE_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="kubellama-runtime" \
      org.opencontainers.image.description="OpenAI-compatible llama.cpp server with OpenTelemetry traces and metrics (CPU)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=runtime-files / /
COPY --from=llama-cpu /app/node_modules /app/node_modules
ENV NODE_ENV=production HOME=/tmp
WORKDIR /tmp
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["kubellama-runtime"]
CMD ["--help"]

# ---- runtime-cuda
FROM ${CUDA_IMAGE} AS runtime-cuda
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="kubellama-runtime-cuda" \
      org.opencontainers.image.description="OpenAI-compatible llama.cpp server with OpenTelemetry traces and metrics (NVIDIA CUDA)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=runtime-files / /
COPY --from=llama-cuda /app/node_modules /app/node_modules
# What the NVIDIA container toolkit reads to mount the driver and devices into the container.
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    NODE_ENV=production HOME=/tmp
WORKDIR /tmp
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["kubellama-runtime"]
CMD ["--help"]

# ---- operator
FROM ${BASE_IMAGE} AS operator
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="kubellama-operator" \
      org.opencontainers.image.description="Kubernetes operator that serves LlamaModels with kubellama-runtime" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=operator-files / /
ENV NODE_ENV=production HOME=/tmp
WORKDIR /tmp
USER 65532:65532
EXPOSE 8081
ENTRYPOINT ["kubellama-operator"]
