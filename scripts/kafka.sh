#!/usr/bin/env bash
# A real Apache Kafka broker for the tests: one KRaft node (broker and
# controller in one JVM) on a free loopback port, from the Apache Kafka jars on
# Maven Central and the machine's Java (17+). Nothing but loopback is used.
#
#   scripts/kafka.sh fetch                   download the jars (cached), print the lib dir
#   scripts/kafka.sh start DIR [OWNER_PID [remove]]
#                                            format DIR once and start the broker there;
#                                            print its address (127.0.0.1:PORT) on stdout
#   scripts/kafka.sh stop DIR                SIGTERM (controlled shutdown), then SIGKILL after 20 s
#   scripts/kafka.sh kill DIR                SIGKILL at once (a crash)
#
# A DIR started before is started again on the same port with its data kept
# (a broker restart). With OWNER_PID the broker is killed once that process
# is gone, so a test run that dies does not leave a JVM behind; with
# "remove" DIR is deleted then too.
#
# Environment: KAFKA_VERSION (4.1.1), SELLERGUARD_CACHE (~/.cache/sellerguard),
# KAFKA_HEAP (-Xms256m -Xmx768m), KAFKA_START_TIMEOUT seconds (90).
set -euo pipefail

version="${KAFKA_VERSION:-4.1.1}"
log4j_version=2.24.3 # the log4j Kafka 4.1 itself depends on
cache="${SELLERGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sellerguard}/kafka/$version"
lib="$cache/lib"

die() {
  echo "scripts/kafka.sh: $*" >&2
  exit 1
}

fetch() {
  if [ -f "$lib/.complete" ]; then
    return
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "$cache"
  local tmp
  tmp="$(mktemp -d "$cache/fetch.XXXXXX")"
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sellerguard</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$log4j_version</version>
    </dependency>
  </dependencies>
</project>
EOF
  echo "scripts/kafka.sh: fetching Apache Kafka $version from Maven Central into $lib" >&2
  if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "mvn could not fetch org.apache.kafka:kafka_2.13:$version"
  fi
  [ -f "$tmp/lib/kafka_2.13-$version.jar" ] || die "kafka_2.13-$version.jar missing after fetch"
  touch "$tmp/lib/.complete"
  rm -rf "$lib"
  mv "$tmp/lib" "$lib"
  rm -rf "$tmp"
}

need_java() {
  command -v java >/dev/null || die "java not found (apt-get install openjdk-17-jre-headless)"
}

# free_port prints a loopback port nobody listens on.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

prop() { sed -n "s/^$1=//p" "$2"; }

start() {
  local dir="${1:?usage: kafka.sh start DIR [OWNER_PID [remove]]}" owner="${2:-}" remove="${3:-}"
  fetch
  need_java
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/broker.pid" ] && kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null; then
    die "a broker already runs in $dir (pid $(cat "$dir/broker.pid"))"
  fi
  local props="$dir/server.properties"
  if [ ! -f "$props" ]; then
    local port cport
    port="$(free_port)"
    cport="$(free_port)"
    while [ "$cport" = "$port" ]; do cport="$(free_port)"; done
    cat >"$props" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# A restarted broker cannot register while its previous incarnation's session
# lives (DUPLICATE_BROKER_REGISTRATION): short sessions make restarts quick.
broker.session.timeout.ms=2000
broker.heartbeat.interval.ms=500
auto.create.topics.enable=false
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
message.max.bytes=4194304
socket.request.max.bytes=104857600
EOF
    cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
logger.org.name = org.apache.kafka
logger.org.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
EOF
  fi
  local port
  port="$(prop listeners "$props" | sed 's/.*PLAINTEXT:\/\/127.0.0.1:\([0-9]*\).*/\1/')"
  if [ ! -f "$dir/data/meta.properties" ]; then
    local id
    id="$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$lib/*" \
      kafka.tools.StorageTool format -t "$id" -c "$props" >"$dir/format.log" 2>&1 ||
      { cat "$dir/format.log" >&2; die "storage format failed"; }
  fi
  local started
  started="$(grep -c "Kafka Server started" "$dir/broker.log" 2>/dev/null || true)"
  # shellcheck disable=SC2086
  setsid java ${KAFKA_HEAP:--Xms256m -Xmx768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$lib/*" kafka.Kafka "$props" \
    </dev/null >"$dir/stdout.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/broker.pid"
  if [ -n "$owner" ]; then
    # The watchdog ends the broker when its owner is gone.
    (
      trap '' HUP
      while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
      kill -9 "$pid" 2>/dev/null || true
      if [ "$remove" = remove ] && ! kill -0 "$owner" 2>/dev/null; then
        sleep 1
        rm -rf "$dir"
      fi
    ) </dev/null >/dev/null 2>&1 &
    disown
  fi
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  until [ "$(grep -c "Kafka Server started" "$dir/broker.log" 2>/dev/null || true)" -gt "${started:-0}" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$dir/stdout.log" >&2 || true
      grep -E "ERROR|Exception|Caused by" "$dir/broker.log" | tail -n 20 >&2 || true
      die "broker exited during start (logs in $dir)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kill -9 "$pid" 2>/dev/null || true
      tail -n 30 "$dir/broker.log" >&2 || true
      die "broker did not start within ${KAFKA_START_TIMEOUT:-90}s (logs in $dir)"
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$port"
}

stop() {
  local dir="${1:?usage: kafka.sh stop DIR}" sig="${2:-TERM}"
  [ -f "$dir/broker.pid" ] || return 0
  local pid
  pid="$(cat "$dir/broker.pid")"
  kill -"$sig" "$pid" 2>/dev/null || { rm -f "$dir/broker.pid"; return 0; }
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "scripts/kafka.sh: broker $pid ignored SIG$sig for 20s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$dir/broker.pid"
}

case "${1:-}" in
fetch)
  fetch
  echo "$lib"
  ;;
start) start "${@:2}" ;;
stop) stop "${2:?usage: kafka.sh stop DIR}" TERM ;;
kill) stop "${2:?usage: kafka.sh kill DIR}" KILL ;;
*)
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
