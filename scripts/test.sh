#!/usr/bin/env bash
# The one test command: go vet, then every Go test with the race detector
# against the embedded FerretDB and versitygw and a real MinIO started here,
# then the end-to-end client suites under e2e/ when they exist.
#
# Runs from any directory. Needs go, curl and a C compiler (for -race); as
# root on Debian it installs the missing ones with apt-get. MinIO is built
# once into .tools/minio (3-6 min cold). Set FIELDSYNC_TEST_MINIO_ENDPOINT
# (with _ACCESS_KEY and _SECRET_KEY) to use a MinIO that is already running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN="$ROOT/.tools/minio"
GO_TAGS=ferretdb_no_postgresql
MINIO_READY_TIMEOUT=60

WORK=""      # temp dir: MinIO data and log, e2e server binary
MINIO_PID="" # MinIO started by this script
WATCH_PID="" # watchdog that stops MinIO if this script is killed outright
CHILD=""     # current long-running step, leader of its own process group
STEP="setup"

section() { printf '\n==== %s ====\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

stop_pid() { # stop_pid PID [-GROUP]: TERM, wait up to 5 s, then KILL
  local pid=$1 target=${2:-$1}
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "$target" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "$target" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $CHILD ]] && stop_pid "$CHILD" "-$CHILD"
  [[ -n $WATCH_PID ]] && stop_pid "$WATCH_PID"
  [[ -n $MINIO_PID ]] && stop_pid "$MINIO_PID"
  [[ -n $WORK ]] && rm -rf "$WORK"
  if ((rc == 0)); then
    section "all tests passed"
  else
    printf '\n==== FAILED (exit %d) during: %s ====\n' "$rc" "$STEP" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run CMD...: runs a step in its own process group and waits for it, so that
# INT/TERM reach the trap at once and cleanup stops the step with every
# process it started (test binaries, servers).
run() {
  local rc=0
  setsid "$@" </dev/null &
  CHILD=$!
  echo "$CHILD" >"$WORK/step.pid" # for the watchdog
  wait "$CHILD" || rc=$?
  rm -f "$WORK/step.pid"
  CHILD=""
  return "$rc"
}

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# free_port prints a loopback TCP port nobody listens on, below the kernel's
# ephemeral range so that outgoing connections do not take it meanwhile.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

section "prerequisites"
STEP="prerequisites"
command -v go >/dev/null || die "go is not installed"
missing=()
command -v curl >/dev/null || missing+=(curl ca-certificates)
command -v gcc >/dev/null || missing+=(gcc libc6-dev) # -race needs cgo
# e2e/console drives Debian's Chromium (or $CHROMIUM); a CJK font keeps its screenshots legible.
if [[ -d e2e/console && -z ${CHROMIUM:-} && ! -x /usr/bin/chromium ]]; then
  missing+=(chromium fonts-wqy-microhei)
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    die "missing ${missing[*]}: install them and run again"
  fi
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
go version
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-test.XXXXXX")"

if [[ -n ${FIELDSYNC_TEST_MINIO_ENDPOINT:-} ]]; then
  section "MinIO: using $FIELDSYNC_TEST_MINIO_ENDPOINT"
  : "${FIELDSYNC_TEST_MINIO_ACCESS_KEY:?set with FIELDSYNC_TEST_MINIO_ENDPOINT}"
  : "${FIELDSYNC_TEST_MINIO_SECRET_KEY:?set with FIELDSYNC_TEST_MINIO_ENDPOINT}"
else
  STEP="building MinIO"
  mkdir -p "$ROOT/.tools"
  # The lock keeps two runs from building into .tools at the same time.
  exec 9>"$ROOT/.tools/.minio.lock"
  flock 9
  if [[ ! -x $MINIO_BIN ]]; then
    section "building MinIO into .tools/minio (3-6 min the first time)"
    if ! run env GOBIN="$ROOT/.tools" go install "$MINIO_MODULE" >"$WORK/minio-build.log" 2>&1; then
      tail -n 50 "$WORK/minio-build.log" >&2
      die "MinIO build failed"
    fi
  fi
  flock -u 9
  exec 9>&-

  section "starting MinIO"
  STEP="starting MinIO"
  MINIO_USER="fs$(random_hex 8)"
  MINIO_PASSWORD="$(random_hex 24)"
  for attempt in 1 2 3; do
    port="$(free_port)" || die "no free loopback port"
    mkdir -p "$WORK/minio-data"
    # MINIO_BROWSER=off: no console listener, so one port is enough.
    MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" \
      MINIO_BROWSER=off MINIO_UPDATE=off \
      "$MINIO_BIN" server --quiet --address "127.0.0.1:$port" "$WORK/minio-data" \
      </dev/null >"$WORK/minio.log" 2>&1 &
    MINIO_PID=$!
    deadline=$((SECONDS + MINIO_READY_TIMEOUT))
    until curl -sf --max-time 2 "http://127.0.0.1:$port/minio/health/ready" >/dev/null; do
      if ! kill -0 "$MINIO_PID" 2>/dev/null; then
        wait "$MINIO_PID" 2>/dev/null || true
        MINIO_PID=""
        echo "MinIO exited at start (attempt $attempt, port $port):" >&2
        cat "$WORK/minio.log" >&2
        break
      fi
      if ((SECONDS >= deadline)); then
        cat "$WORK/minio.log" >&2
        die "MinIO not ready on 127.0.0.1:$port after ${MINIO_READY_TIMEOUT}s"
      fi
      sleep 0.5
    done
    [[ -n $MINIO_PID ]] && break
  done
  [[ -n $MINIO_PID ]] || die "MinIO did not start"
  # Stops the running step and MinIO and removes the temp dir even if this
  # script is killed with SIGKILL, which no trap sees.
  (
    trap - EXIT INT TERM
    while kill -0 "$$" 2>/dev/null; do sleep 1; done
    if [[ -f $WORK/step.pid ]]; then
      kill -TERM -- "-$(cat "$WORK/step.pid")" 2>/dev/null || true
    fi
    kill "$MINIO_PID" 2>/dev/null || true
    sleep 2
    rm -rf "$WORK"
  ) </dev/null >/dev/null 2>&1 &
  WATCH_PID=$!
  echo "MinIO ready on 127.0.0.1:$port (pid $MINIO_PID)"
  export FIELDSYNC_TEST_MINIO_ENDPOINT="127.0.0.1:$port"
  export FIELDSYNC_TEST_MINIO_ACCESS_KEY="$MINIO_USER"
  export FIELDSYNC_TEST_MINIO_SECRET_KEY="$MINIO_PASSWORD"
fi

section "go vet"
STEP="go vet"
run go vet -tags "$GO_TAGS" ./...

section "go test (race)"
STEP="go test"
run go test -tags "$GO_TAGS" -race -count=1 -timeout 20m ./...

# End-to-end suites: every e2e/<name>/package.json is an npm project whose
# `npm test` drives a fieldsync server. They get the server binary in
# FIELDSYNC_BIN, FIELDSYNC_E2E=1 and the MinIO variables above.
shopt -s nullglob
suites=(e2e/*/package.json)
shopt -u nullglob
if ((${#suites[@]})); then
  section "building fieldsync for e2e"
  STEP="building fieldsync for e2e"
  command -v npm >/dev/null || die "npm is not installed (needed by ${suites[*]})"
  run env CGO_ENABLED=0 go build -tags "$GO_TAGS" -o "$WORK/fieldsync" ./cmd/fieldsync
  export FIELDSYNC_BIN="$WORK/fieldsync" FIELDSYNC_E2E=1
  for manifest in "${suites[@]}"; do
    dir="$(dirname "$manifest")"
    section "e2e: $dir"
    STEP="e2e $dir"
    if [[ -f $dir/package-lock.json ]]; then
      run env -C "$dir" npm ci --no-audit --no-fund
    else
      run env -C "$dir" npm install --no-audit --no-fund
    fi
    run env -C "$dir" npm test
  done
else
  section "e2e: no suites under e2e/ (skipped)"
fi
STEP="done"
