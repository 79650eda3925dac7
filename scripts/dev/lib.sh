# Shared helpers for the README's commands (npm test, npm run demo). Sourced, not run.
# Each step is idempotent: it installs what is missing, starts what is not running, builds.

export TURBO_TELEMETRY_DISABLED=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
say() { printf '[partita] %s\n' "$*"; }
die() { printf '[partita] error: %s\n' "$*" >&2; exit 1; }

NATIVE_PKG="@confluentinc/kafka-javascript"
NATIVE_DIR="$ROOT/node_modules/$NATIVE_PKG"
# Debian packages librdkafka needs when the client is built from source (CKJS_LINKING=dynamic).
NATIVE_BUILD_DEBS="libssl-dev libsasl2-dev libzstd-dev liblz4-dev libcurl4-openssl-dev zlib1g-dev"

native_client_loads() {
  (cd "$ROOT" && node -e "require('$NATIVE_PKG')" >/dev/null 2>&1)
}

ensure_build_debs() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=()
  for deb in $NATIVE_BUILD_DEBS; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'install ok installed' || missing+=("$deb")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing build dependencies of the Kafka client: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed; install ${missing[*]} by hand"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "could not install ${missing[*]}; install them by hand and re-run"
}

# The native Kafka client: take the prebuilt binary where it downloads; otherwise build librdkafka
# from source, dynamically linked against Debian's libraries (about 80 s on 2 cores).
ensure_native_client() {
  native_client_loads && return 0
  [ -d "$NATIVE_DIR" ] || die "$NATIVE_PKG is not installed (npm install failed?)"
  local pregyp
  pregyp="$(cd "$NATIVE_DIR" && node -p "require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp')")" \
    || die "node-pre-gyp (a dependency of $NATIVE_PKG) is missing; run npm install again"
  say "fetching the prebuilt $NATIVE_PKG binary"
  if (cd "$NATIVE_DIR" && node "$pregyp" install >/dev/null 2>&1) && native_client_loads; then
    return 0
  fi
  say "no prebuilt binary reachable: building $NATIVE_PKG from source (about 80 s)"
  ensure_build_debs
  mkdir -p "$ROOT/.build-logs"
  (cd "$ROOT" && CKJS_LINKING=dynamic npm rebuild "$NATIVE_PKG" --build-from-source --foreground-scripts) \
    >"$ROOT/.build-logs/native-client.log" 2>&1 \
    || { tail -30 "$ROOT/.build-logs/native-client.log"; die "building $NATIVE_PKG failed (log: .build-logs/native-client.log)"; }
  native_client_loads || die "$NATIVE_PKG was built but does not load (log: .build-logs/native-client.log)"
}

# npm dependencies. Install scripts are run by hand afterwards so that the native client can take
# the path above instead of npm's fallback build.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.partita-install-stamp"
  if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
    say "installing npm dependencies"
    # `npm install`, not `npm ci`: registries that serve only some platforms' optional packages (turbo,
    # msgpackr) make lockfiles that `npm ci` calls out of sync.
    (cd "$ROOT" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm install failed"
    # The other package with an install script: msgpackr's optional native speed-up (BullMQ, benchmarks only).
    (cd "$ROOT" && npm rebuild msgpackr-extract --loglevel=error >/dev/null 2>&1) || say "note: msgpackr-extract not built (optional)"
    touch "$stamp"
  fi
  ensure_native_client
}

ensure_build() {
  say "building the packages"
  (cd "$ROOT" && npx --no-install turbo run build --output-logs=errors-only) || die "the build failed"
}

ensure_kafka() {
  bash "$ROOT/scripts/kafka/start" || die "Kafka did not start (see above)"
}

# Redis is used by the job-state store; start a local redis-server if it is installed and not running.
ensure_redis() {
  if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then return 0; fi
  if command -v redis-server >/dev/null 2>&1; then
    say "starting redis-server on 127.0.0.1:6379"
    mkdir -p "$ROOT/.redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir "$ROOT/.redis" --logfile "$ROOT/.redis/redis.log" >/dev/null \
      || die "redis-server would not start (log: .redis/redis.log)"
    for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && return 0; sleep 0.1; done
    die "redis-server started but does not answer on 127.0.0.1:6379"
  else
    say "warning: Redis is not running on 127.0.0.1:6379 and redis-server is not installed; tests that need Redis will fail"
  fi
}
