#!/bin/sh
# zebra installs bgpd's multipath routes into this container's kernel; flows are hashed on L4
# ports (net.ipv4.fib_multipath_hash_policy=1 in docker-compose.yml).
set -e
/usr/lib/frr/zebra -d -f /etc/frr/frr.conf -i /run/frr/zebra.pid
/usr/lib/frr/bgpd -f /etc/frr/frr.conf -i /run/frr/bgpd.pid &
wait
