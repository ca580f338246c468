#!/usr/bin/env bash
# End-to-end tests: the golden captures in pcaps/ and the command line.
# usage: tests/e2e/run.sh /path/to/edgeaudit
set -u
bin=${1:?usage: run.sh /path/to/edgeaudit}
here=$(cd "$(dirname "$0")" && pwd)
export TZ=UTC LC_ALL=C
pass=0 fail=0
for t in "$here"/golden.sh "$here"/cli.sh "$here"/portable.sh "$here"/runs.sh "$here"/snaplen.sh \
         "$here"/duplicates.sh \
         "$here"/manpage.sh \
         "$here"/install.sh \
         "$here"/eve.sh "$here"/syslog.sh \
         "$here"/nat.sh \
         "$here"/icmp.sh \
         "$here"/evidence.sh \
         "$here"/monitor.sh "$here"/active.sh \
         "$here"/filter.sh "$here"/retain.sh "$here"/live.sh \
         "$here"/unwritable.sh \
         "$here"/policy.sh "$here"/outstall.sh "$here"/dbowner.sh; do
  out=$(bash "$t" "$bin" 2>&1)
  printf '%s\n' "$out" | grep -v '^RESULT '
  p=$(printf '%s\n' "$out" | sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\1/p')
  f=$(printf '%s\n' "$out" | sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\2/p')
  if [ -z "$p" ]; then echo "FAIL: $(basename "$t") did not finish"; fail=$((fail + 1)); continue; fi
  pass=$((pass + p)); fail=$((fail + f))
done
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
