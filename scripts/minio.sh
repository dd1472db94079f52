#!/usr/bin/env bash
# Runs a throwaway MinIO in the foreground for running single test packages
# by hand against it (scripts/test.sh starts its own):
#
#   scripts/minio.sh [PORT]      # default 9000; Ctrl-C stops it, data is deleted
#
# then, in another shell, paste the export lines it prints and run go test.
# Builds .tools/minio first when it is missing (3-6 min the first time).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN="$ROOT/.tools/minio"
PORT="${1:-9000}"

mkdir -p "$ROOT/.tools"
exec 9>"$ROOT/.tools/.minio.lock"
flock 9
if [[ ! -x $MINIO_BIN ]]; then
  echo "building MinIO into .tools/minio (3-6 min the first time)" >&2
  GOBIN="$ROOT/.tools" go install "$MINIO_MODULE"
fi
flock -u 9
exec 9>&-

DATA="$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-minio.XXXXXX")"
trap 'rm -rf "$DATA"' EXIT
USER_NAME="fieldsync-dev"
PASSWORD="fieldsync-dev-secret"

cat <<EOF
export FIELDSYNC_TEST_MINIO_ENDPOINT=127.0.0.1:$PORT
export FIELDSYNC_TEST_MINIO_ACCESS_KEY=$USER_NAME
export FIELDSYNC_TEST_MINIO_SECRET_KEY=$PASSWORD
EOF
# Not exec: the EXIT trap must remove the data dir when MinIO stops.
MINIO_ROOT_USER="$USER_NAME" MINIO_ROOT_PASSWORD="$PASSWORD" \
  MINIO_BROWSER=off MINIO_UPDATE=off \
  "$MINIO_BIN" server --quiet --address "127.0.0.1:$PORT" "$DATA"
