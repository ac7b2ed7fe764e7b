#!/bin/sh
# Usage: responder NODE_NAME POD_IP VIP...: puts the pod IP and the VIPs on lo (what kube-proxy
# and the CNI do on a real node) and answers HTTP on port 80 with the node's name.
# CLIENT_ROUTE (e.g. "172.16.0.0/16 via 10.0.0.1"): where replies to the clients go.
set -e
name=$1; shift
[ -z "${CLIENT_ROUTE:-}" ] || ip route replace $CLIENT_ROUTE
for ip in "$@"; do ip addr replace "$ip/32" dev lo; done
exec python3 /usr/local/bin/seed_web.py serve "$name"
