#!/usr/bin/env bash
# halo installer for Debian 12, run as root from a clone of the repository. Safe to run again.
#   ./install.sh               build the package (npm ci, npm run deb), install it with apt, and MariaDB for `halo demo`
#   ./install.sh --replace-v1  also put halo's programs in place of heartbeat's (/usr/lib/halo/v1-names replace)
#   ./install.sh --uninstall   apt-get remove halo (its configuration stays; apt-get purge halo removes it too)
# The tests' own packages (heartbeat, mon, pacemaker's tools...) are not installed here: `npm test` does that
# (test/setup.sh). Nothing is enabled at boot; at the end this says which cluster services still are.
set -euo pipefail
cd "$(dirname "$0")"

# What `halo demo` needs beyond the package's Depends: its two nodes run MariaDB (by the mysql agent).
DEMO_PACKAGES=(mariadb-server mariadb-client)
# Units a cluster node must not start at boot: the cluster starts them (MariaDB, also by its socket, and mon),
# or they are another cluster stack on the same node (heartbeat, pacemaker, corosync, and cluster-glue's logd).
# One list with halo check's (ops/check/boot.ts), read once Node.js is known to be there.
CLUSTER_OWNED_LIST=ops/check/cluster-owned.json
OLD_MANIFEST=/var/lib/halo/install.manifest

say() { printf 'halo install: %s\n' "$*"; }
die() { printf 'halo install: %s\n' "$*" >&2; exit 1; }

# The services haresources starts by their init scripts (the application server's, often): names that are
# no script of /etc/ha.d/resource.d (haresources' NAME::args, continued lines joined).
haresources_services() {
  local node rest r name
  [ -r /etc/ha.d/haresources ] || return 0
  sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' -e 's/#.*//' /etc/ha.d/haresources | while read -r node rest; do
    for r in $rest; do
      name=${r%%::*}
      if [ ! -e "/etc/ha.d/resource.d/$name" ] && [ -e "/etc/init.d/$name" ]; then echo "$name.service"; fi
    done
  done
}

# the services of CLUSTER_OWNED, and those haresources starts, that start at boot
enabled_at_boot() {
  local unit
  for unit in $(printf '%s\n' "${CLUSTER_OWNED[@]}" $(haresources_services) | sort -u); do
    [ "$(systemctl is-enabled "$unit" 2>/dev/null)" = enabled ] && echo "$unit"
  done
  return 0
}

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
[ "$(id -u)" -eq 0 ] || die "run me as root (I install packages)"
export DEBIAN_FRONTEND=noninteractive

# An install.sh from before the package put links and files by hand and listed them: take them away
# first, so that everything halo has is the package's.
forget_manual_install() {
  [ -f "$OLD_MANIFEST" ] || return 0
  say "removing the files an earlier install.sh put in place (the package replaces them)"
  tac "$OLD_MANIFEST" | while read -r kind path extra; do
    case $kind in
      link) if [ -L "$path" ]; then rm -f "$path"; fi ;;
      file) rm -f "$path" ;;
      divert)
        if [ -L "$path" ]; then rm -f "$path"; fi
        dpkg-divert --quiet --local --rename --remove "$path" ;;
      moved) if [ -e "$extra" ] && [ ! -e "$path" ]; then mv "$extra" "$path"; fi ;;
      tree) rm -rf "$path" ;;
      dir) rmdir "$path" 2>/dev/null || true ;;
    esac
  done
  rm -f "$OLD_MANIFEST"
}

if [ $mode = uninstall ]; then
  forget_manual_install
  if dpkg-query -W -f='${Status}' halo 2>/dev/null | grep -q 'ok installed'; then
    apt-get remove -y -q halo
  fi
  say "removed; its configuration stays until: apt-get purge halo"
  exit 0
fi

# Debian 12's own nodejs is 18; halo is built for Node.js 20 (NodeSource or the official tarball).
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null ||
  die "halo needs Node.js 20 or later on PATH (found: $(node --version 2>/dev/null || echo none))"

read -ra CLUSTER_OWNED <<<"$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).join(" "))' "$CLUSTER_OWNED_LIST")"
[ ${#CLUSTER_OWNED[@]} -gt 0 ] || die "$CLUSTER_OWNED_LIST: no unit read"

. pkg/no-starts.sh

say "npm ci"
npm ci --no-audit --no-fund --loglevel=error
say "building the package"
npm run --silent deb
version=$(node -p 'require("./package.json").version')
deb=$PWD/dist/halo_${version}_all.deb

# An install.sh from before the package installed heartbeat, pacemaker's tools, corosync, mon and MariaDB, and
# their packages enabled them at boot: that is undone with the rest of it (the tests' set-up masks theirs).
if [ -f "$OLD_MANIFEST" ]; then
  for unit in $(enabled_at_boot); do
    systemctl disable --quiet "$unit" 2>/dev/null && say "disabled $unit, which an earlier install.sh left enabled at boot"
  done
fi
# what the admin had enabled stays so; what the packages installed now enable (mariadb, cluster-glue's logd) is undone
read -ra enabled_before <<<"$(enabled_at_boot | tr '\n' ' ')"

forget_manual_install
# halo's Recommends too (logrotate, drbd-utils, nftables), but not theirs: a cluster node gets only what it runs
read -ra recommends <<<"$(dpkg-deb -f "$deb" Recommends | tr -d ',')"
say "apt-get install ${recommends[*]} ${DEMO_PACKAGES[*]}, then $deb"
apt-get update -q
apt-get install -y -q --no-install-recommends "${recommends[@]}" "${DEMO_PACKAGES[@]}"
# --reinstall: a rebuilt package of the same version replaces the installed one; the admin's conffiles stay
apt-get install -y -q --no-install-recommends --reinstall -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$deb"
for unit in $(enabled_at_boot); do
  if [[ " ${enabled_before[*]} " != *" $unit "* ]]; then
    systemctl disable --quiet "$unit" 2>/dev/null && say "disabled $unit at boot (just installed; the cluster starts what it needs)"
  fi
done
[ $replace_v1 = 0 ] || /usr/lib/halo/v1-names replace

say "done: halo $version; agents in /usr/lib/ocf/resource.d/halo (ocf:halo:*), haresources names in /etc/ha.d/resource.d"
say "once /etc/ha.d is written: halo check (it also names the services enabled at boot outside the cluster), then systemctl enable --now halo-heartbeat; try it all first with: halo demo"

# What would start at boot beside halo: the cluster starts these itself, or they are another cluster stack.
for unit in $(enabled_at_boot); do
  say "warning: $unit is enabled at boot, outside the cluster; disable it with: systemctl disable $unit"
done
