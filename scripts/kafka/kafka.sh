#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for
# development and integration tests, without Docker.
#
# Usage: scripts/kafka/kafka.sh start|stop|status   (see usage() below)
#
# Everything it creates lives in <repo>/.kafka/ (git-ignored), or in $KAFKA_STATE_DIR for a second
# broker (e.g. the chaos tests' killable one: KAFKA_STATE_DIR=.kafka/chaos KAFKA_PORT=19092
# KAFKA_CONTROLLER_PORT=19093); the jars stay in <repo>/.kafka/lib, shared:
#   lib/               Kafka jars copied from Maven Central by scripts/kafka/pom.xml
#   data/              KRaft metadata + topic data (formatted once)
#   logs/              server.log (broker), stdout.log (JVM), mvn.log (jar download)
#   ping/              compiled scripts/kafka/Ping.java (readiness probe)
#   server.properties  generated on every start
#   log4j2.properties  broker logging;  log4j2-tools.properties: quiet tool logging
#   kafka.pid          pid of the broker this script started
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
PING_SRC="$SCRIPT_DIR/Ping.java"

STATE_DIR="${KAFKA_STATE_DIR:-$REPO_ROOT/.kafka}"
# A relative KAFKA_STATE_DIR is taken from the repository root, wherever the script is called from.
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$REPO_ROOT/$STATE_DIR"
# How paths appear in messages: relative to the repository when inside it.
STATE_SHOWN="${STATE_DIR#"$REPO_ROOT"/}"
LIB_DIR="${KAFKA_LIB_DIR:-$REPO_ROOT/.kafka/lib}"
LIB_MARKER="$LIB_DIR/.kafka-version"
DATA_DIR="$STATE_DIR/data"
LOG_DIR="$STATE_DIR/logs"
PING_DIR="$STATE_DIR/ping"
CONFIG="$STATE_DIR/server.properties"
LOG4J_CONFIG="$STATE_DIR/log4j2.properties"
LOG4J_TOOLS_CONFIG="$STATE_DIR/log4j2-tools.properties"
PID_FILE="$STATE_DIR/kafka.pid"
LOCK_FILE="$STATE_DIR/.lock"

HOST="127.0.0.1"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
ADDRESS="$HOST:$KAFKA_PORT"

log() { printf '[kafka] %s\n' "$*"; }
die() { printf '[kafka] error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
Usage: scripts/kafka/kafka.sh <command>

Runs a local single-node Kafka broker (KRaft) from jars on Maven Central; no Docker needed.

Commands:
  start    download the jars on first use, then start the broker at $HOST:\$KAFKA_PORT and wait
           until it answers a metadata request. A no-op when a broker already answers there.
  stop     stop the broker this script started (pid in \$KAFKA_STATE_DIR/kafka.pid).
  status   say whether the broker answers. Exit status: 0 = running and answering,
           3 = not running (or its process exists but does not answer).

Environment:
  KAFKA_PORT             client (PLAINTEXT) port, default 9092
  KAFKA_CONTROLLER_PORT  KRaft controller port, default 9093
  KAFKA_START_TIMEOUT    seconds start waits for the broker to answer, default 90
  KAFKA_STOP_TIMEOUT     seconds stop waits after SIGTERM before SIGKILL, default 30
  KAFKA_HEAP_OPTS        JVM heap flags, default "-Xmx512m -Xms256m"
  KAFKA_STATE_DIR        where this broker's data, logs, config and pid live, default <repo>/.kafka
                         (relative paths are from the repository root); one broker per state dir
  KAFKA_LIB_DIR          where the jars are downloaded to and run from, default <repo>/.kafka/lib

State (data, logs, config, pid) lives in $STATE_SHOWN; delete $STATE_SHOWN/data to start empty.
EOF
}

# ---------------------------------------------------------------- checks

check_port_value() {
  local name="$1" value="$2"
  if ! [[ "$value" =~ ^[0-9]+$ ]] || (( value < 1 || value > 65535 )); then
    die "$name='$value' is not a valid port number: set it to a number between 1 and 65535."
  fi
}

JAVA_BIN=""
check_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA_BIN="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA_BIN="$(command -v java)"
  else
    die "Java is not installed (no 'java' on PATH): install a JDK 17 or newer (e.g. apt-get install openjdk-17-jdk-headless) and retry."
  fi
  local version_line major
  version_line="$("$JAVA_BIN" -version 2>&1 | head -n 1 || true)"
  major="$(sed -nE 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/p' <<<"$version_line")"
  if [[ -z "$major" ]]; then
    die "could not tell the Java version from '$JAVA_BIN -version' ($version_line): install a JDK 17 or newer and retry."
  fi
  # "1.8.0_x" style versions mean Java 8; "17.0.x" style mean 17.
  if [[ "${major%% *}" == "1" ]]; then major="${major#* }"; else major="${major%% *}"; fi
  if (( major < 17 )); then
    die "Java $major found at $JAVA_BIN, but Kafka 4 needs Java 17 or newer: install JDK 17+ (or point JAVA_HOME at one) and retry."
  fi
}

kafka_version() {
  sed -nE 's:.*<kafka\.version>([^<]+)</kafka\.version>.*:\1:p' "$POM" 2>/dev/null | head -n 1 || true
}

# ---------------------------------------------------------------- jars

lib_complete() {
  local version="$1"
  [[ -f "$LIB_MARKER" ]] && [[ "$(cat "$LIB_MARKER")" == "$version" ]] &&
    [[ -f "$LIB_DIR/kafka_2.13-$version.jar" ]] && [[ -f "$LIB_DIR/kafka-clients-$version.jar" ]]
}

ensure_lib() {
  local version
  version="$(kafka_version)"
  [[ -n "$version" ]] || die "could not read <kafka.version> from $POM: restore that file (git checkout scripts/kafka/pom.xml)."
  if lib_complete "$version"; then
    return 0
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    die "Maven is not installed (no 'mvn' on PATH), and it is needed once to download the Kafka $version jars: install Maven 3.6+ (e.g. apt-get install maven) and retry."
  fi
  log "downloading Kafka $version jars from Maven Central (first run only; log: $STATE_SHOWN/logs/mvn.log)"
  # Unique per run: two state dirs may share the lib dir.
  local tmp="$LIB_DIR.partial.$$"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$LOG_DIR/mvn.log" 2>&1; then
    rm -rf "$tmp"
    local cause clean_log
    clean_log="$(sed -E 's/\x1b\[[0-9;]*m//g' "$LOG_DIR/mvn.log" 2>/dev/null || true)"
    # With -q Maven hides its transfer errors; an unreachable repository then
    # surfaces as "No plugin found for prefix" or an unresolvable artifact.
    if grep -qiE 'Could not find artifact|was not found in' <<<"$clean_log"; then
      cause="an artifact named in scripts/kafka/pom.xml does not exist on Maven Central: $(grep -m1 -oiE 'Could not find artifact [^ ]+|[^ ]+ was not found in' <<<"$clean_log" || true)"
    elif grep -qiE 'UnknownHost|Connection refused|connect timed out|Network is unreachable|No route to host|Could not transfer|transfer failed|Connection reset|PKIX|Read timed out|No plugin found for prefix|Could not resolve dependencies|Failed to read artifact descriptor|could not be resolved|Cannot access' <<<"$clean_log"; then
      cause="Maven could not download from Maven Central (no network, or a proxy / ~/.m2/settings.xml mirror problem)"
    else
      cause="$(grep -m1 -E '^\[ERROR\]' <<<"$clean_log" | sed -E 's/^\[ERROR\] *//' | cut -c1-200 || true)"
      [[ -n "$cause" ]] || cause="mvn exited with an error"
    fi
    die "could not download the Kafka jars: $cause. Fix that and retry; Maven's full output is in $STATE_SHOWN/logs/mvn.log."
  fi
  if [[ ! -f "$tmp/kafka_2.13-$version.jar" ]]; then
    rm -rf "$tmp"
    die "Maven finished but kafka_2.13-$version.jar was not copied: check $POM and $STATE_SHOWN/logs/mvn.log, then retry."
  fi
  if lib_complete "$version"; then
    # Another start downloaded them meanwhile.
    rm -rf "$tmp"
    return 0
  fi
  printf '%s\n' "$version" >"$tmp/.kafka-version"
  rm -rf "$LIB_DIR"
  mkdir -p "$(dirname "$LIB_DIR")"
  mv "$tmp" "$LIB_DIR"
  log "jars ready in $LIB_DIR ($(find "$LIB_DIR" -name '*.jar' | wc -l) jars)"
}

# ---------------------------------------------------------------- ping

PING_CMD=()
ensure_ping() {
  # Compile the probe once (a single-file source launch recompiles it on every
  # call, which costs ~2 s per poll); fall back to source launch without javac.
  local javac_bin
  javac_bin="$(dirname "$JAVA_BIN")/javac"
  [[ -x "$javac_bin" ]] || javac_bin="$(command -v javac 2>/dev/null || true)"
  if [[ -f "$PING_DIR/Ping.class" && ! "$PING_SRC" -nt "$PING_DIR/Ping.class" ]]; then
    :
  elif [[ -n "$javac_bin" ]]; then
    rm -rf "$PING_DIR"
    mkdir -p "$PING_DIR"
    if ! "$javac_bin" -nowarn -d "$PING_DIR" -cp "$LIB_DIR/*" "$PING_SRC" >"$LOG_DIR/ping-javac.log" 2>&1; then
      rm -rf "$PING_DIR"
    fi
  fi
  if [[ -f "$PING_DIR/Ping.class" ]]; then
    PING_CMD=("$JAVA_BIN" -Xshare:auto -XX:TieredStopAtLevel=1 -Xmx128m
      "-Dlog4j2.configurationFile=$LOG4J_TOOLS_CONFIG" -cp "$PING_DIR:$LIB_DIR/*" Ping)
  else
    PING_CMD=("$JAVA_BIN" -XX:TieredStopAtLevel=1 -Xmx128m
      "-Dlog4j2.configurationFile=$LOG4J_TOOLS_CONFIG" -cp "$LIB_DIR/*" "$PING_SRC")
  fi
}

# ping [timeoutMs]: 0 when a Kafka broker answers a metadata request at $ADDRESS.
ping_broker() {
  "${PING_CMD[@]}" "$ADDRESS" "${1:-3000}" >"$STATE_DIR/.ping.out" 2>&1
}

port_open() {
  # bash's /dev/tcp: connects (and closes at once) without external tools.
  (exec 3<>"/dev/tcp/$HOST/$1") >/dev/null 2>&1
}

# ---------------------------------------------------------------- process

# Pid of the broker this script started, if alive; empty otherwise.
our_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 0
  pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || return 0
  is_our_broker "$pid" && printf '%s\n' "$pid"
  return 0
}

is_our_broker() {
  local pid="$1" cmdline
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"kafka.Kafka $CONFIG"* ]]
}

# A broker started from this repo's config whose pid file went missing.
orphan_pid() {
  local pid
  for pid in $(pgrep -f "kafka\.Kafka $CONFIG" 2>/dev/null || true); do
    is_our_broker "$pid" && { printf '%s\n' "$pid"; return 0; }
  done
  return 0
}

alive() { kill -0 "$1" 2>/dev/null; }

terminate() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && (( waited < KAFKA_STOP_TIMEOUT * 10 )); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive "$pid"; then
    log "broker (pid $pid) did not exit ${KAFKA_STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
}

with_lock() {
  mkdir -p "$STATE_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    if ! flock -w 180 9; then
      die "another scripts/kafka/kafka.sh start/stop has held $LOCK_FILE for 3 minutes: wait for it to finish (or end it) and retry."
    fi
  fi
}

# ---------------------------------------------------------------- config

write_configs() {
  cat >"$CONFIG" <<EOF
# Generated by scripts/kafka/kafka.sh on every start; edit that script, not this file.
# Single-node KRaft: this JVM is both the broker and the (only) controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=$DATA_DIR

# One node: every internal topic has a single replica.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Tuned for fast tests: topics are created explicitly, groups rebalance at once,
# short session timeouts are allowed.
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
group.consumer.min.session.timeout.ms=1000
group.consumer.min.heartbeat.interval.ms=500
group.share.min.session.timeout.ms=1000
group.share.min.heartbeat.interval.ms=500

# Keep the disk small: a day of data or 256 MiB per partition, 64 MiB segments.
log.retention.hours=24
log.retention.bytes=268435456
log.segment.bytes=67108864
log.retention.check.interval.ms=60000

num.network.threads=3
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF

  cat >"$LOG4J_CONFIG" <<EOF
# Generated by scripts/kafka/kafka.sh: broker logs go to $STATE_SHOWN/logs/server.log only.
status = warn
name = partita-kafka

appender.server.type = RollingFile
appender.server.name = server
appender.server.fileName = $LOG_DIR/server.log
appender.server.filePattern = $LOG_DIR/server.log.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 20MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 3

rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server

$(quiet_logger kafka_request kafka.request.logger)
$(quiet_logger kafka_request_channel 'kafka.network.RequestChannel$')
$(quiet_logger state_change state.change.logger)
$(quiet_logger authorizer kafka.authorizer.logger)
$(quiet_logger log_cleaner kafka.log.LogCleaner)
$(quiet_logger controller kafka.controller)
$(quiet_logger kafka_log kafka.log)
$(quiet_logger storage org.apache.kafka.storage.internals)
$(quiet_logger partition kafka.cluster.Partition)
$(quiet_logger replica_manager kafka.server.ReplicaManager)
$(quiet_logger replica_fetcher kafka.server.ReplicaFetcherManager)
$(quiet_logger replica_alter kafka.server.ReplicaAlterLogDirsManager)
$(quiet_logger config_log org.apache.kafka.common.config.AbstractConfig)
$(quiet_logger app_info org.apache.kafka.common.utils.AppInfoParser)
$(quiet_logger raft org.apache.kafka.raft)
$(quiet_logger snapshot org.apache.kafka.snapshot)
$(quiet_logger metadata_loader org.apache.kafka.image)
$(quiet_logger clients org.apache.kafka.clients)
$(quiet_logger cluster_control org.apache.kafka.controller.ClusterControlManager)
$(quiet_logger replication_control org.apache.kafka.controller.ReplicationControlManager)
EOF
}

write_tools_config() {
  cat >"$LOG4J_TOOLS_CONFIG" <<'EOF'
# Generated by scripts/kafka/kafka.sh: the readiness probe and the storage tool log nothing.
status = error
rootLogger.level = OFF
EOF
}

# "client-port controller-port" of the existing server.properties, which is only
# rewritten when a new broker starts, so it describes the running one.
config_ports() {
  [[ -f "$CONFIG" ]] || return 0
  sed -nE 's#^listeners=PLAINTEXT://[^:]+:([0-9]+),CONTROLLER://[^:]+:([0-9]+)$#\1 \2#p' "$CONFIG"
}

quiet_logger() {
  printf 'logger.%s.name = %s\nlogger.%s.level = WARN\n' "$1" "$2" "$1"
}

format_storage() {
  # Once per data dir. (Data formatted with other ports still starts fine: the
  # single voter elects itself whatever address the metadata log recorded.)
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  mkdir -p "$DATA_DIR"
  local cluster_id
  cluster_id="$("$JAVA_BIN" "-Dlog4j2.configurationFile=$LOG4J_TOOLS_CONFIG" -cp "$LIB_DIR/*" \
    kafka.tools.StorageTool random-uuid 2>"$LOG_DIR/format.log" | tail -n 1 || true)"
  [[ -n "$cluster_id" ]] || die "could not generate a cluster id with kafka.tools.StorageTool (see $STATE_SHOWN/logs/format.log): delete $LIB_DIR and retry."
  log "formatting $STATE_SHOWN/data (cluster id $cluster_id)"
  if ! "$JAVA_BIN" "-Dlog4j2.configurationFile=$LOG4J_TOOLS_CONFIG" -cp "$LIB_DIR/*" \
      kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONFIG" >>"$LOG_DIR/format.log" 2>&1; then
    rm -rf "$DATA_DIR"
    die "formatting $STATE_SHOWN/data failed: $(tail -n 1 "$LOG_DIR/format.log"). See $STATE_SHOWN/logs/format.log."
  fi
}

# ---------------------------------------------------------------- commands

print_log_tail() {
  local file="$LOG_DIR/server.log"
  [[ -s "$file" ]] || file="$LOG_DIR/stdout.log"
  if [[ -s "$file" ]]; then
    printf '[kafka] last 40 lines of %s:\n' "${file#"$REPO_ROOT"/}" >&2
    tail -n 40 "$file" >&2
  fi
  if [[ "$file" != "$LOG_DIR/stdout.log" && -s "$LOG_DIR/stdout.log" ]]; then
    printf '[kafka] last 10 lines of %s/logs/stdout.log:\n' "$STATE_SHOWN" >&2
    tail -n 10 "$LOG_DIR/stdout.log" >&2
  fi
}

wait_until_ready() {
  local pid="$1" started=$SECONDS
  while (( SECONDS - started < KAFKA_START_TIMEOUT )); do
    if ! alive "$pid"; then
      print_log_tail
      rm -f "$PID_FILE"
      die "the broker process (pid $pid) exited during startup; the log above says why."
    fi
    if port_open "$KAFKA_PORT" && ping_broker 3000; then
      return 0
    fi
    sleep 0.5
  done
  print_log_tail
  log "stopping the broker (pid $pid) that did not answer in time"
  terminate "$pid"
  rm -f "$PID_FILE"
  die "the broker did not answer at $ADDRESS within ${KAFKA_START_TIMEOUT}s: read the log above (or raise KAFKA_START_TIMEOUT) and retry."
}

cmd_start() {
  check_port_value KAFKA_PORT "$KAFKA_PORT"
  check_port_value KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  [[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] ||
    die "KAFKA_PORT and KAFKA_CONTROLLER_PORT are both $KAFKA_PORT: give them different values."
  [[ "$KAFKA_START_TIMEOUT" =~ ^[0-9]+$ ]] ||
    die "KAFKA_START_TIMEOUT='$KAFKA_START_TIMEOUT' is not a number of seconds: set it to e.g. 90."
  check_java
  mkdir -p "$STATE_DIR" "$LOG_DIR"
  with_lock
  local t0=$SECONDS

  ensure_lib
  write_tools_config
  ensure_ping

  # Already running?  Ours (maybe still starting), or any broker on the address.
  local pid
  pid="$(our_pid)"
  [[ -n "$pid" ]] || pid="$(orphan_pid)"
  if [[ -n "$pid" ]]; then
    printf '%s\n' "$pid" >"$PID_FILE"
    local running_ports
    running_ports="$(config_ports)"
    if [[ -n "$running_ports" && "$running_ports" != "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ]]; then
      die "the broker started by this script (pid $pid) already runs on other ports (client/controller: ${running_ports/ //}): stop it first (scripts/kafka/stop) or unset KAFKA_PORT/KAFKA_CONTROLLER_PORT to use it."
    fi
    if ! { port_open "$KAFKA_PORT" && ping_broker 3000; }; then
      log "broker process already exists (pid $pid) but does not answer yet; waiting for it at $ADDRESS"
      wait_until_ready "$pid"
    fi
    log "already running at $ADDRESS (pid $pid); nothing to do"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$KAFKA_PORT"; then
    if ping_broker 3000; then
      log "already running: a Kafka broker answers at $ADDRESS ($(head -n 1 "$STATE_DIR/.ping.out")); nothing to do"
      return 0
    fi
    die "port $KAFKA_PORT is in use by another program (not a Kafka broker): stop it or set KAFKA_PORT."
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "port $KAFKA_CONTROLLER_PORT (KRaft controller) is in use by another program: stop it or set KAFKA_CONTROLLER_PORT."
  fi

  write_configs
  format_storage

  log "starting broker at $ADDRESS (controller $HOST:$KAFKA_CONTROLLER_PORT, logs: $STATE_SHOWN/logs/server.log)"
  : >"$LOG_DIR/stdout.log"
  printf '\n----- scripts/kafka/kafka.sh start %s -----\n' "$(date '+%Y-%m-%d %H:%M:%S')" >>"$LOG_DIR/server.log"
  # setsid: own session, so the broker outlives this shell and its terminal;
  # the inner bash records its pid and then becomes the JVM (exec). 9>&- keeps
  # the start/stop lock (fd 9) out of the broker, or it would hold it forever.
  # shellcheck disable=SC2086
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$JAVA_BIN" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$LOG4J_CONFIG" "-Dkafka.logs.dir=$LOG_DIR" \
    -cp "$LIB_DIR/*" kafka.Kafka "$CONFIG" \
    </dev/null >>"$LOG_DIR/stdout.log" 2>&1 9>&- &
  local waited=0
  while [[ ! -s "$PID_FILE" ]] && (( waited < 50 )); do sleep 0.1; waited=$((waited + 1)); done
  pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || { print_log_tail; die "the broker process did not start; see $STATE_SHOWN/logs/stdout.log."; }

  wait_until_ready "$pid"
  log "ready at $ADDRESS (pid $pid, $(head -n 1 "$STATE_DIR/.ping.out"), took $((SECONDS - t0))s)"
}

cmd_stop() {
  with_lock
  local pid="" from_file=1
  if [[ -f "$PID_FILE" ]]; then
    pid="$(our_pid)"
    if [[ -z "$pid" ]]; then
      log "pid file $STATE_SHOWN/kafka.pid names no running broker (stale); removing it"
      rm -f "$PID_FILE"
    fi
  fi
  if [[ -z "$pid" ]]; then
    pid="$(orphan_pid)"
    from_file=0
  fi
  if [[ -z "$pid" ]]; then
    log "not running (no broker started by this script); nothing to stop"
    return 0
  fi
  (( from_file )) || log "found a broker started from $STATE_SHOWN/server.properties without a pid file (pid $pid)"
  log "stopping broker (pid $pid)"
  terminate "$pid"
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  check_java
  local pid
  pid="$(our_pid)"
  [[ -n "$pid" ]] || pid="$(orphan_pid)"
  local running_ports
  running_ports="$(config_ports)"
  if [[ -n "$pid" && -n "$running_ports" && "$running_ports" != "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ]]; then
    log "not running at $ADDRESS: the broker started by this script (pid $pid) uses other ports (client/controller: ${running_ports/ //})"
    return 3
  fi
  if [[ ! -d "$LIB_DIR" ]] || ! port_open "$KAFKA_PORT"; then
    if [[ -n "$pid" ]]; then
      log "not answering: broker process pid $pid exists but nothing listens on $ADDRESS yet (starting, or stuck: see $STATE_SHOWN/logs/server.log)"
    else
      log "not running (nothing listens on $ADDRESS)"
    fi
    return 3
  fi
  [[ -f "$LOG4J_TOOLS_CONFIG" ]] || write_tools_config
  ensure_ping
  if ping_broker 3000; then
    if [[ -n "$pid" ]]; then
      log "running at $ADDRESS (pid $pid, $(head -n 1 "$STATE_DIR/.ping.out"))"
    else
      log "running at $ADDRESS ($(head -n 1 "$STATE_DIR/.ping.out")), but not started by this script (no pid file)"
    fi
    return 0
  fi
  if [[ -n "$pid" ]]; then
    log "not answering: broker process pid $pid exists but does not answer at $ADDRESS yet (starting, or stuck: see $STATE_SHOWN/logs/server.log)"
  else
    log "not running: port $KAFKA_PORT is in use by another program (not a Kafka broker)"
  fi
  return 3
}

main() {
  case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf '[kafka] error: unknown command "%s": use start, stop or status.\n' "$1" >&2; usage >&2; exit 2 ;;
  esac
}

main "$@"
