#!/bin/sh
# with-agents.sh TOP AGENTS [INIT.D] COMMAND ARGS…: runs COMMAND where /usr/lib/ocf/resource.d/halo holds AGENTS
# (this build's agents) and the other providers are as on this machine, in a private mount namespace: pcs and
# crmsh read the agents' meta-data through crm_resource, which looks only there, and the machine's own copy
# (an installed halo, or none) must neither be used nor touched. TOP: an empty folder the caller removes.
# INIT.D (a folder, or - for none): seen as /etc/init.d, for a fixture's LSB scripts.
set -eu
if [ "${HALO_WITH_AGENTS:-}" != inside ]; then
  HALO_WITH_AGENTS=inside exec unshare --mount --propagation private "$0" "$@"
fi
unset HALO_WITH_AGENTS
top=$1 agents=$2 initd=$3
shift 3
[ "$initd" = - ] || mount --bind "$initd" /etc/init.d
for d in /usr/lib/ocf/resource.d/*; do
  name=$(basename "$d")
  [ "$name" = halo ] && continue
  mkdir "$top/$name"
  mount --bind "$d" "$top/$name"
done
mkdir "$top/halo"
for a in "$agents"/*; do ln -s "$a" "$top/halo/"; done
mount --rbind "$top" /usr/lib/ocf/resource.d
exec "$@"
