#!/usr/bin/env bash
# The tests' own Debian packages, installed before `npm test` (package.json's pretest), never by install.sh:
# the real programs halo is measured against (heartbeat, mon, pacemaker's tools, pcs and crmsh, ipmi_sim, fence agents,
# tcpdump, chromium for the status page...) and the packaging test's tools (debootstrap, lintian, dpkg-repack). They are no part of a
# production node, so none of their daemons may start at boot: each is disabled and masked (the tests run
# heartbeat, mon and ipmi_sim as programs, never through systemd). Safe to run again; quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  heartbeat pacemaker-cli-utils mon m4 tcpdump libxml2-utils resource-agents
  openipmi ipmitool fence-agents cluster-glue nftables drbd-utils iputils-arping kmod
  debootstrap lintian dpkg-repack man-db chromium pcs crmsh
)
# the daemons those packages (and what they pull) would start at boot
SERVICES=(heartbeat pacemaker corosync mon logd openipmi ipmievd pcsd pcsd-ruby)

say() { printf 'test set-up: %s\n' "$*"; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# ping nodes need a ping; any will do (inetutils-ping and iputils-ping exclude each other)
command -v ping >/dev/null || missing+=(iputils-ping)

if [ "$(id -u)" -ne 0 ]; then
  [ ${#missing[@]} -eq 0 ] || say "not root: cannot install ${missing[*]}; the tests that need them will fail"
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  . pkg/no-starts.sh
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

for s in "${SERVICES[@]}"; do
  state=$(systemctl is-enabled "$s.service" 2>/dev/null) || true
  case $state in
    '' | masked | not-found) continue ;;
  esac
  systemctl disable --quiet "$s.service" 2>/dev/null || true
  systemctl mask --quiet "$s.service"
  say "$s.service disabled and masked (was $state): the tests run their own"
done

# the package test's Debian 12 tree (debootstrap, the first time only: minutes, more than a test file may take)
if [ -x node_modules/.bin/tsx ] && command -v debootstrap >/dev/null; then
  node --import=tsx test/pkg/tree.ts
fi
