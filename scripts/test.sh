#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (redis-server from Debian), then vets and runs every test with the race
# detector. Extra arguments go to `go test` (e.g. -run TestEndToEnd).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "scripts/test.sh: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

go mod download
go vet ./...
go test -race -count=1 "$@" ./...
