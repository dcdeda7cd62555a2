# syntax=docker/dockerfile:1
# The operator image: build on Debian 12 with the project's Debian packages, run from scratch
# with only the binary, the shared libraries ldd says it needs, a CA bundle and user 65532.
#   docker build -t throughput-operator:dev .      (e2e/kind/run.sh does this for kind)
# It matches the chart's securityContext: non-root 65532, read-only root filesystem (it writes
# nothing; /tmp is an emptyDir in the chart), no capabilities, no shell.

FROM debian:bookworm AS build
WORKDIR /src
# The package list is read from scripts/deps.sh (its "build" and "C++ libraries" groups), the
# project's one list; e2e/kind/image-build.sh extracts it. ca-certificates is extra: the
# runtime stage copies its bundle (deps.sh lists it among the test tools).
COPY scripts/deps.sh scripts/deps.sh
COPY e2e/kind/image-build.sh e2e/kind/image-build.sh
RUN set -eux; \
    pkgs="$(e2e/kind/image-build.sh packages)"; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates $pkgs; \
    rm -rf /var/lib/apt/lists/*
COPY . .
# RelWithDebInfo is what CI builds and tests (make build); the debug info is stripped below.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTSO_BUILD_TESTS=OFF -DTSO_BUILD_BENCH=OFF \
 && cmake --build build --target throughput-operator \
 && strip --strip-unneeded build/throughput-operator \
 && e2e/kind/image-build.sh rootfs build/throughput-operator /rootfs

FROM scratch
COPY --from=build /rootfs/ /
USER 65532:65532
# The HTTP endpoint (--metrics-bind-address, default :8080): /metrics, /healthz, /readyz, page.
EXPOSE 8080
ENTRYPOINT ["/throughput-operator", "run"]
