#!/usr/bin/env bash
# halo installer for Debian 12, run as root from a clone of the repository. Safe to run again.
#   ./install.sh               system packages, npm ci, build, install into the standard paths
#   ./install.sh --replace-v1  also replace Heartbeat's scripts and commands other packages own (dpkg-divert)
#   ./install.sh --uninstall   remove exactly what earlier runs installed (system packages stay)
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")"

LIB=/usr/lib/halo
OCF_DIR=/usr/lib/ocf/resource.d/halo
V1_DIR=/etc/ha.d/resource.d
STATE=/var/lib/halo
MANIFEST=$STATE/install.manifest

# Debian packages halo runs on, and those its tests run against (the real programs it must match).
PACKAGES=(
  iproute2 iputils-arping e2fsprogs util-linux psmisc procps libxml2-utils
  resource-agents pacemaker-cli-utils tcpdump kmod drbd-utils mon m4
  mariadb-server mariadb-client heartbeat
  openipmi ipmitool fence-agents cluster-glue nftables
)
# halo's own commands on PATH: "path:program".
COMMANDS=(/usr/sbin/halo-heartbeat:halo-heartbeat /usr/sbin/halo-mon:halo-mon /usr/bin/halo:halo /usr/sbin/halo-drbd-peer-outdater:drbd-peer-outdater)
UNIT_DIR=/usr/lib/systemd/system
# The haresources names halo answers to: "v1-name:agent".
V1_NAMES=(IPaddr:IPaddr IPaddr2:IPaddr Filesystem:Filesystem drbddisk:drbddisk mysqld:mysql appserver:appserver)
# Extra OCF names: "name:agent" (resource-agents users know IPaddr2).
OCF_ALIASES=(IPaddr2:IPaddr)
# Where Heartbeat's commands are called from (recipes call /usr/lib/heartbeat/hb_standby): "path:program".
LEGACY_COMMANDS=(
  /usr/share/heartbeat/hb_standby:hb_standby /usr/lib/heartbeat/hb_standby:hb_standby
  /usr/share/heartbeat/hb_takeover:hb_takeover /usr/lib/heartbeat/hb_takeover:hb_takeover
  /usr/bin/cl_status:cl_status
  # DRBD's fence-peer handler of Heartbeat clusters (dopd's); Debian's heartbeat package has it in libexec
  /usr/lib/heartbeat/drbd-peer-outdater:drbd-peer-outdater /usr/libexec/heartbeat/drbd-peer-outdater:drbd-peer-outdater
)

say() { printf 'halo install: %s\n' "$*"; }
die() { printf 'halo install: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,5s/^# \{0,1\}//p' "$0"
}

mode=install
replace_v1=0
for arg in "$@"; do
  case $arg in
    --replace-v1) replace_v1=1 ;;
    --uninstall) mode=uninstall ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $arg" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "run me as root (I install packages and write /usr/lib and /etc)"
# Debian 12's own nodejs is 18; halo is built for Node.js 20 (NodeSource or the official tarball).
[ $mode = uninstall ] || node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null ||
  die "halo needs Node.js 20 or later on PATH (found: $(node --version 2>/dev/null || echo none))"

record() { grep -qxF "$*" "$MANIFEST" 2>/dev/null || echo "$*" >>"$MANIFEST"; }

# ---------------------------------------------------------------- uninstall
uninstall() {
  [ -f "$MANIFEST" ] || { say "nothing to remove (no $MANIFEST)"; return; }
  tac "$MANIFEST" | while read -r kind path extra; do
    case $kind in
      link) [ -L "$path" ] && rm -f "$path" ;;
      file) rm -f "$path" ;;
      divert)
        [ -L "$path" ] && rm -f "$path"
        dpkg-divert --quiet --local --rename --remove "$path" ;;
      moved) [ -e "$extra" ] && [ ! -e "$path" ] && mv "$extra" "$path" ;;
      tree) rm -rf "$path" ;;
      dir) rmdir "$path" 2>/dev/null || true ;;
    esac
  done
  rm -f "$MANIFEST"
  rmdir "$STATE" 2>/dev/null || true
  [ -d /run/systemd/system ] && systemctl daemon-reload
  say "removed; system packages were left installed"
}

# ---------------------------------------------------------------- install
install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # ping nodes need a ping; any will do (inetutils-ping and iputils-ping exclude each other)
  command -v ping >/dev/null || missing+=(iputils-ping)
  [ ${#missing[@]} -eq 0 ] && { say "system packages present"; return; }
  say "installing ${missing[*]}"
  # Packages such as mariadb-server or mon would start their daemons on install; halo's tests run their
  # own, so keep Debian from starting any while we install (only if the admin has no policy of their own).
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}" || { [ $own_policy = 1 ] && rm -f $policy; exit 1; }
  [ $own_policy = 1 ] && rm -f $policy
  return 0
}

build() {
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  say "building"
  npm run --silent build
}

mkdir_recorded() {
  local d=$1 missing=()
  while [ ! -d "$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  for d in "${missing[@]}"; do mkdir -m 755 "$d" && record dir "$d"; done
}

# link NAME → TARGET unless something that is not ours is there
link_ours() {
  local path=$1 target=$2
  if [ -L "$path" ] && [ "$(readlink "$path")" = "$target" ]; then record link "$path"; return 0; fi
  if [ -e "$path" ] || [ -L "$path" ]; then return 1; fi
  ln -s "$target" "$path" && record link "$path"
}

# Puts halo's program at a path Heartbeat's users know, unless a package or the admin has one there.
install_legacy() {
  local path=$1 target=$2 owner
  link_ours "$path" "$target" && return
  owner=$(dpkg-query -S "$path" 2>/dev/null | cut -d: -f1 || true)
  if [ $replace_v1 = 0 ]; then
    say "kept $path (${owner:-not from a package}); halo's is $target (--replace-v1 to replace)"
    return
  fi
  if [ -n "$owner" ]; then
    dpkg-divert --quiet --local --rename --divert "$path.distrib" --add "$path"
    record divert "$path"
    say "replaced $path of $owner (kept as $path.distrib)"
  else
    mv "$path" "$path.halo-orig"
    record moved "$path" "$path.halo-orig"
    say "replaced the admin's $path (kept as $path.halo-orig)"
  fi
  ln -s "$target" "$path"
}

# The units are halo's own files, replaced on every run; enabling them is the admin's decision.
install_units() {
  local unit
  for unit in systemd/*.service; do
    install -m 644 "$unit" "$UNIT_DIR/$(basename "$unit")"
    record file "$UNIT_DIR/$(basename "$unit")"
  done
  [ -d /run/systemd/system ] && systemctl daemon-reload
  return 0
}

install_files() {
  mkdir -p "$STATE"
  touch "$MANIFEST"
  # /usr/lib/halo is halo's own: replaced whole on every run.
  rm -rf "$LIB.new"
  cp -a dist "$LIB.new"
  # the shipped example is also what `halo demo` runs
  cp -a examples README.md "$LIB.new/"
  rm -rf "$LIB"
  mv "$LIB.new" "$LIB"
  record tree "$LIB"

  mkdir_recorded "$OCF_DIR"
  local agent pair
  for agent in "$LIB"/agents/*; do
    link_ours "$OCF_DIR/$(basename "$agent")" "$agent" || say "kept $OCF_DIR/$(basename "$agent") (not halo's)"
  done
  for pair in "${OCF_ALIASES[@]}"; do
    [ -e "$LIB/agents/${pair#*:}" ] || continue
    link_ours "$OCF_DIR/${pair%%:*}" "$LIB/agents/${pair#*:}" || say "kept $OCF_DIR/${pair%%:*} (not halo's)"
  done

  mkdir_recorded "$V1_DIR"
  for pair in "${V1_NAMES[@]}"; do
    [ -e "$LIB/agents/${pair#*:}" ] || continue
    install_legacy "$V1_DIR/${pair%%:*}" "$LIB/agents/${pair#*:}"
  done
  for pair in "${COMMANDS[@]}"; do
    [ -e "$LIB/bin/${pair#*:}" ] || continue
    link_ours "${pair%%:*}" "$LIB/bin/${pair#*:}" || say "kept ${pair%%:*} (not halo's)"
  done
  install_units
  # the example's haresources runs halo-mon as the group's last resource, by this name
  install_legacy "$V1_DIR/halo-mon" "$LIB/examples/mysql-appserver-cluster/halo-mon"
  for pair in "${LEGACY_COMMANDS[@]}"; do
    [ -e "$LIB/bin/${pair#*:}" ] || continue
    mkdir_recorded "$(dirname "${pair%%:*}")"
    install_legacy "${pair%%:*}" "$LIB/bin/${pair#*:}"
  done
}

if [ $mode = uninstall ]; then
  uninstall
  exit 0
fi
install_packages
build
install_files
say "done: agents in $OCF_DIR (ocf:halo:*), haresources names in $V1_DIR"
say "once /etc/ha.d is written: systemctl enable --now halo-heartbeat; try it all first with: halo demo"
