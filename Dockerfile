# syntax=docker/dockerfile:1

# fieldsync server image: a static Go binary on distroless, running as the
# non-root user 65532 (nonroot). Build: docker build -t fieldsync .
# The image has no shell and no curl; the healthcheck uses the binary itself.

FROM golang:1.26 AS build
WORKDIR /src

# Module downloads get their own layer so that a source change does not
# download the dependencies again.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
# CGO_ENABLED=0: the binary must run on a static base image (modernc.org/sqlite,
# the embedded store, is pure Go).
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
        -ldflags="-s -w" -o /out/fieldsync ./cmd/fieldsync \
    && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fieldsync /usr/local/bin/fieldsync
# The data directory (embedded stores, scratch files) belongs to nonroot so the
# volume mounted over it is writable without running as root.
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
ENV FIELDSYNC_LISTEN=0.0.0.0:8080 \
    FIELDSYNC_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/fieldsync", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/fieldsync"]
