#!/usr/bin/env bash
# Oracle test for the MRT reader and the UPDATE decoder: for each test dump, `bgpdump -m FILE`
# (Debian's bgpdump 1.6.2) and `kbgp-mrtdump -m FILE` must print the same lines, byte for
# byte: prefix, peer, AS path, origin, next hop, LOCAL_PREF, MED, communities, atomic
# aggregate, aggregator, withdrawals and state changes.
#
# usage: mrt_bgpdump_test.sh KBGP_MRTDUMP DATA_DIR
# Exit 77 (skipped) when bgpdump is not installed.
#
# The one file where the two differ, for a reason (checked to be the only difference):
#  - updates.nlri_mask_trailing_bits.gz: its one UPDATE has the NLRI field 0d 0b 0d 0b, i.e.
#    11.13.0.0/13 (bits set past the mask) followed by a /11 prefix cut off after its length
#    octet. bgpdump prints the first prefix with its raw bits and silently drops the partial
#    one. kbgp's decoder rejects the UPDATE: a truncated NLRI field cannot be parsed, which
#    RFC 4271 §6.3 / RFC 7606 §5.3 make a session reset (NOTIFICATION, UPDATE Message Error /
#    Invalid Network Field), so kbgp-mrtdump prints no route for the record and reports the
#    error on stderr. (Had the NLRI been complete, kbgp would print 11.8.0.0/13: it clears
#    host bits, RFC 4271 §4.3.)
set -euo pipefail

mrtdump=${1:?usage: $0 KBGP_MRTDUMP DATA_DIR}
data=${2:?usage: $0 KBGP_MRTDUMP DATA_DIR}

if ! command -v bgpdump >/dev/null 2>&1; then
  echo "bgpdump not installed; skipping"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Files that must match exactly.
exact=(
  bview.20020722.2337.gz
  updates.20160811.1600.gz
  updates.et-header.2015.gz
  updates.long_withdrawal.gz
  bview.ipv4_unicast_add_path.gz
  bview.ipv6_unicast_add_path.gz
  bview.64k_stream_overflow.gz
)

fail=0
compare() {  # name, expected file, actual file
  if cmp -s "$2" "$3"; then
    echo "ok    $1 ($(wc -l <"$2") lines)"
  else
    echo "FAIL  $1: kbgp-mrtdump differs from bgpdump -m (first differences, < bgpdump > kbgp):"
    diff "$2" "$3" | head -20 || true
    fail=1
  fi
}

for f in "${exact[@]}"; do
  bgpdump -m "$data/$f" >"$tmp/expected" 2>/dev/null
  "$mrtdump" -m "$data/$f" >"$tmp/actual"
  compare "$f" "$tmp/expected" "$tmp/actual"
done

# The malformed UPDATE (see the top of this file): bgpdump prints its first prefix, kbgp
# rejects the message, prints nothing and says why.
f=updates.nlri_mask_trailing_bits.gz
bgpdump -m "$data/$f" 2>/dev/null >"$tmp/expected"
"$mrtdump" -m "$data/$f" >"$tmp/actual" 2>"$tmp/stderr"
if [[ "$(cat "$tmp/expected")" == *"|11.13.0.0/13|"* && "$(wc -l <"$tmp/expected")" == 1 &&
      ! -s "$tmp/actual" ]] && grep -q "NLRI" "$tmp/stderr"; then
  echo "ok    $f (malformed UPDATE: bgpdump prints 1 partial line, kbgp rejects it)"
else
  echo "FAIL  $f: expected bgpdump's one partial line and kbgp's rejection"
  cat "$tmp/expected" "$tmp/actual" "$tmp/stderr"
  fail=1
fi

exit $fail
