# Sourced by install.sh and test/setup.sh before they install packages: no daemon may start while its
# package is installed (MariaDB's would run outside the cluster), so Debian's policy-rc.d says no to every
# start, unless the admin has a policy of their own; ours is removed when the script exits.
policy=/usr/sbin/policy-rc.d
own_policy=0
trap '[ $own_policy = 0 ] || rm -f $policy' EXIT
if [ ! -e $policy ]; then
  printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && own_policy=1
fi
