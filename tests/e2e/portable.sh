#!/usr/bin/env bash
# The repository works wherever it is cloned: no tracked file names an
# absolute path of one machine (its checkout, home or work folders), and
# the shared data is always reached as ../shared beside the clone.
# Prints "ok <name>" / "FAIL <name>: why" and a RESULT line.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
ok() { echo "ok portable/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL portable/$1: $2"; fail=$((fail + 1)); }

if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git -C "$top" ls-files)
else
  mapfile -t files < <(cd "$top" && find . -type f ! -path './build/*' ! -path './.git/*' | sed 's|^\./||')
fi
# Binary captures are data, not paths; everything else is read as text.
hits=$(cd "$top" && for f in "${files[@]}"; do
  case $f in *.pcap|*.pcapng) continue;; esac
  [ -f "$f" ] && grep -IHnE "(^|[^A-Za-z0-9_.~$-])(/work|/root|/home/[a-z])/|$top" -- "$f"
done)
if [ -z "$hits" ]; then ok no-machine-paths
else bad no-machine-paths "absolute paths in tracked files:"; printf '%s\n' "$hits" | head -5 | sed 's/^/  /'; fi

# Every script that reads the shared captures finds them beside the clone.
scripts=$(cd "$top" && grep -lE 'shared/(pcaps|cases)' -- bench/*.sh tests/e2e/*.sh Makefile 2>/dev/null)
badref=$(cd "$top" && grep -nE 'shared/(pcaps|cases)' -- $scripts | grep -vE '\.\./shared|\$\(?top\)?/\.\./shared|"\$top/\.\./shared' | grep -v '^tests/e2e/portable.sh')
if [ -z "$badref" ]; then ok shared-relative
else bad shared-relative "shared data named other than ../shared:"; printf '%s\n' "$badref" | head -5 | sed 's/^/  /'; fi

echo "RESULT $pass $fail"
