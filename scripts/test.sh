#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (Debian packages, Apache Kafka from Maven Central), then vets and runs every
# test with the race detector. Extra arguments go to `go test`
# (e.g. -run TestEndToEnd).
set -euo pipefail
cd "$(dirname "$0")/.."

# apt_install installs Debian packages by name (nothing when given none).
apt_install() {
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "scripts/test.sh: installing $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need=()
command -v redis-server >/dev/null || need+=(redis-server)
apt_install ${need[@]+"${need[@]}"}

go mod download
go vet ./...
# --- operations (issue 7) ---
# Debian's prometheus (server and promtool) and docker-compose for the
# dashboards module: alert rule unit tests, a live Prometheus scraping the
# demo, and the compose file's check (skipped if docker-compose cannot be had).
ops_need=()
{ command -v prometheus && command -v promtool; } >/dev/null || ops_need+=(prometheus)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || ops_need+=(docker-compose)
for p in ${ops_need[@]+"${ops_need[@]}"}; do
  if ! apt_install "$p"; then
    [ "$p" = docker-compose ] || exit 1
    echo "scripts/test.sh: could not install docker-compose; the compose check is skipped" >&2
  fi
done
(cd dashboards && go vet ./... && go test -count=1 ./...)
# --- end operations ---
# --- reliability (issue 5) ---
# kcat (a third, independent Kafka client for the fault suite) and a real
# Apache Kafka broker (scripts/kafka.sh: jars from Maven Central, cached) that
# the Kafka integration tests and the fault suite share through
# SELLERGUARD_TEST_KAFKA. Without Java they use the in-process kfake broker
# and say so; the broker restart test then skips.
rel_need=()
command -v kcat >/dev/null || rel_need+=(kcat)
if command -v java >/dev/null && ! command -v mvn >/dev/null &&
  ! ls "${SELLERGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sellerguard}"/kafka/*/lib/.complete >/dev/null 2>&1; then
  rel_need+=(maven)
fi
apt_install ${rel_need[@]+"${rel_need[@]}"}
if [ -z "${SELLERGUARD_TEST_KAFKA:-}" ]; then
  if command -v java >/dev/null; then
    kafka_dir="$(mktemp -d "${TMPDIR:-/tmp}/sellerguard-kafka.XXXXXX")"
    SELLERGUARD_TEST_KAFKA="$(bash scripts/kafka.sh start "$kafka_dir" $$ remove)"
    export SELLERGUARD_TEST_KAFKA
    trap 'bash scripts/kafka.sh stop "$kafka_dir"; rm -rf "$kafka_dir"' EXIT
    echo "scripts/test.sh: Apache Kafka $(basename "$(dirname "$(bash scripts/kafka.sh fetch)")") at $SELLERGUARD_TEST_KAFKA" >&2
  else
    echo "scripts/test.sh: no Java here: the Kafka tests run against the in-process kfake broker, not Apache Kafka" >&2
  fi
fi
# --- end reliability ---
# --- web (issue 6) ---
# Debian's chromium and a CJK font for the browser tests of the staff UI
# (browsertest/: chromedp drives headless Chromium; without the font Chinese
# renders as boxes in the screenshots).
web_need=()
{ command -v chromium || command -v chromium-browser; } >/dev/null || web_need+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || web_need+=(fonts-wqy-microhei)
apt_install ${web_need[@]+"${web_need[@]}"}
# --- end web ---
go test -race -count=1 "$@" ./...
