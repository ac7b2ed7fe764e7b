#!/usr/bin/env bash
# The config schema is gobgpd's: every gobgpd YAML file under configs/ must load in kbgp
# (kbgpd-config-check) AND be accepted by the real gobgpd 3.10 dry run (`gobgpd -f F -t yaml
# -d`). kbgp's canonical print-back of each file must load again to the same text and must
# also be accepted by gobgpd, so the printer never writes a key gobgpd does not know.
#
# Then a few bad files: those gobgpd's dry run rejects must be rejected by kbgp too, and the
# ones where kbgp is deliberately stricter are checked to still be accepted by `gobgpd -d`
# (the dry run only parses and applies defaults; gobgpd finds these later, at startup or
# when adding the peer, or never):
#  - an undefined peer-group: gobgpd's default pass returns early and reports success;
#  - an undefined policy in apply-policy, or an undefined set in a statement;
#  - a duplicated neighbor address (gobgpd then fails to add the second peer);
#  - a bad router-id, a hold-time of 1..2 s (RFC 4271 §4.2), a multihop-ttl of 300 (gobgpd
#    truncates it to 8 bits), a repeated key (gobgpd keeps the last one).
#
# usage: config_gobgpd_test.sh KBGPD_CONFIG_CHECK CONFIGS_DIR
# Exit 77 (skipped) when gobgpd is not installed.
set -euo pipefail

check=${1:?usage: $0 KBGPD_CONFIG_CHECK CONFIGS_DIR}
configs=${2:?usage: $0 KBGPD_CONFIG_CHECK CONFIGS_DIR}

if ! command -v gobgpd >/dev/null 2>&1; then
  echo "gobgpd not installed; skipping"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

gobgpd_accepts() {  # FILE -> 0 if `gobgpd -d` accepts it; its log goes to $tmp/gobgpd.log
  timeout 60 gobgpd -f "$1" -t yaml -d >"$tmp/gobgpd.log" 2>&1 &&
    grep -q '"msg":"Finished reading the config file"' "$tmp/gobgpd.log"
}

# gobgpd configs are the YAML files that are not Kubernetes manifests or Prometheus configs.
mapfile -t files < <(find "$configs" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
count=0
for f in "${files[@]}"; do
  case "$f" in
    */k8s/* | */kubernetes/* | */prometheus*) continue ;;
  esac
  if grep -qE '^(apiVersion|kind|scrape_configs|rule_files):' "$f"; then continue; fi
  count=$((count + 1))
  name=$(basename "$f")
  if ! "$check" "$f" >"$tmp/$name.canon" 2>"$tmp/err"; then
    fail "kbgp rejects $f: $(cat "$tmp/err")"
    continue
  fi
  if ! gobgpd_accepts "$f"; then
    fail "gobgpd -d rejects $f: $(tail -1 "$tmp/gobgpd.log")"
  fi
  if ! "$check" "$tmp/$name.canon" >"$tmp/$name.canon2" 2>"$tmp/err"; then
    fail "kbgp rejects its own print-back of $f: $(cat "$tmp/err")"
  elif ! cmp -s "$tmp/$name.canon" "$tmp/$name.canon2"; then
    fail "print-back of $f is not stable:"
    diff "$tmp/$name.canon" "$tmp/$name.canon2" || true
  fi
  if ! gobgpd_accepts "$tmp/$name.canon"; then
    fail "gobgpd -d rejects kbgp's print-back of $f: $(tail -1 "$tmp/gobgpd.log")"
  fi
  echo "ok: $f"
done
if [ "$count" -eq 0 ]; then
  fail "no gobgpd config found under $configs"
fi

global=$'global:\n  config:\n    as: 64512\n    router-id: 192.0.2.1\n'
nbr=$'neighbors:\n  - config:\n      neighbor-address: 192.0.2.2\n      peer-as: 65001\n'

# Both reject.
both_reject=(
  "unknown-key|${global}neighbours: []"
  "camel-case|global:
  config:
    as: 64512
    routerId: 192.0.2.1"
  "bad-number|${global}${nbr}    timers:
      config:
        hold-time: abc"
  "bad-bool|${global}${nbr}    transport:
      config:
        passive-mode: \"maybe\""
  "bad-neighbor-ip|${global}neighbors:
  - config:
      neighbor-address: 10.0.0.300
      peer-as: 2"
  "bad-afi-safi|${global}${nbr}    afi-safis:
      - config:
          afi-safi-name: ipv4-foo"
  "multihop-and-gtsm|${global}${nbr}    ebgp-multihop:
      config:
        enabled: true
    ttl-security:
      config:
        enabled: true"
  "ibgp-remove-private-as|${global}neighbors:
  - config:
      neighbor-address: 192.0.2.2
      peer-as: 64512
      remove-private-as: all"
)
# kbgp rejects; `gobgpd -d` accepts (see the header).
kbgp_stricter=(
  "undefined-peer-group|${global}neighbors:
  - config:
      neighbor-address: 192.0.2.2
      peer-group: nope"
  "undefined-policy|${global}  apply-policy:
    config:
      import-policy-list: [nope]"
  "undefined-prefix-set|${global}policy-definitions:
  - name: p
    statements:
      - conditions:
          match-prefix-set:
            prefix-set: nope"
  "duplicate-neighbor|${global}${nbr}  - config:
      neighbor-address: 192.0.2.2
      peer-as: 65002"
  "bad-router-id|global:
  config:
    as: 64512
    router-id: foo"
  "hold-time-1|${global}${nbr}    timers:
      config:
        hold-time: 1"
  "multihop-ttl-300|${global}${nbr}    ebgp-multihop:
      config:
        enabled: true
        multihop-ttl: 300"
  "repeated-key|${global}${nbr}      peer-as: 65002"
)

run_bad() {  # EXPECT_GOBGPD(accept|reject) ENTRY
  local expect=$1 entry=$2
  local name=${entry%%|*} body=${entry#*|}
  local f="$tmp/bad-$name.yaml"
  printf '%s\n' "$body" >"$f"
  if "$check" "$f" >/dev/null 2>"$tmp/err"; then
    fail "kbgp accepts bad input $name"
  elif ! grep -q "^$f:[0-9]*: " "$tmp/err"; then
    fail "kbgp's error for $name does not name FILE:LINE: $(cat "$tmp/err")"
  else
    echo "ok: kbgp rejects $name: $(cat "$tmp/err")"
  fi
  if gobgpd_accepts "$f"; then
    [ "$expect" = accept ] || fail "gobgpd -d accepts $name, kbgp rejects it"
    [ "$expect" = accept ] && echo "   note: gobgpd -d accepts $name (kbgp is stricter)"
  else
    [ "$expect" = reject ] || fail "gobgpd -d now rejects $name: update the list in $0"
  fi
  return 0
}
for entry in "${both_reject[@]}"; do run_bad reject "$entry"; done
for entry in "${kbgp_stricter[@]}"; do run_bad accept "$entry"; done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all $count gobgpd configs load in kbgp and gobgpd"
