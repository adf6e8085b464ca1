#!/usr/bin/env bash
# Installs what the test suite uses, where it can: as root on Debian or Ubuntu, from the
# distribution's packages. Never fails the run: what cannot be had is said here in one line, and
# the tests that need it say so when they skip (bin/test lists them at the end).
#   redis-server       the system's Redis (7.x on Debian 12); without it the tests use the Redis
#                      6.2 build the testkit carries from Maven Central
#   chromium, chromium-driver   the timeline page's browser test
#   iproute2, util-linux        ip netns / unshare: the pod tests' namespaces
#   prometheus, prometheus-alertmanager, kcat   the real servers /metrics, the dashboard, the
#                      Alertmanager bridge and the JSON alerts topic are tested against
#   podman, mmdebstrap          real containers (runc) from a Debian root filesystem: the podman test
#   docker-compose              ComposeIT starts docker-compose.yml with it on podman's Docker API
set -uo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1 \
  || need+=(prometheus-alertmanager)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
(( ${#need[@]} )) || exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "test-setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; then
    exit 0
  fi
  echo "test-setup: apt-get could not install ${need[*]}; the tests that need them will be skipped and listed"
else
  echo "test-setup: not installed: ${need[*]} (install them as root, e.g. apt-get install ${need[*]});" \
    "the tests that need them will be skipped and listed (Redis tests run on the testkit's Redis 6.2)"
fi
exit 0
