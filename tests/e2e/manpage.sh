#!/usr/bin/env bash
# The manual page stays true to the binary: every command that
# `edgeaudit --help` lists has its section in man/edgeaudit.1, every option
# that `edgeaudit CMD --help` prints is documented in that command's
# section, and the page renders without a warning (groff -ww, and
# mandoc -T lint where installed). Each check prints "ok <name>" or
# "FAIL <name>: why".
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
page="$top/man/edgeaudit.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok manpage/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL manpage/$1: $2"; fail=$((fail + 1)); }

# The page's section for one command: from its .SS line to the next.
section() { awk -v cmd="$1" '/^\.SS /{on = index($0, "\"" cmd " ") == 5} on' "$page"; }
# An option as roff writes it (\-\-max\-flows), not followed by more of a
# longer name.
documented() { grep -qE -- "$(printf '%s' "$1" | sed 's/-/\\\\-/g')"'([^a-z\\]|\\[^-]|$)'; }

if [ ! -f "$page" ]; then
  bad exists "man/edgeaudit.1 is missing"
  echo "RESULT $pass $fail"; exit 0
fi
ok exists

# The markup: groff's warnings (all of them: -ww), mandoc's lint.
if command -v groff >/dev/null; then
  groff -man -ww -z "$page" >"$tmp/groff" 2>&1
  if [ -s "$tmp/groff" ]; then bad groff-no-warnings "$(head -3 "$tmp/groff")"; else ok groff-no-warnings; fi
else
  echo "note manpage: groff not installed, markup not checked with it"
fi
if command -v mandoc >/dev/null; then
  mandoc -T lint -W warning "$page" >"$tmp/mandoc" 2>&1
  if [ -s "$tmp/mandoc" ]; then bad mandoc-lint "$(head -3 "$tmp/mandoc")"; else ok mandoc-lint; fi
fi

# Every command the binary lists has a section.
cmds=$("$bin" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{on=0}')
[ -n "$cmds" ] && ok help-lists-commands || bad help-lists-commands "no commands in edgeaudit --help"
for c in $cmds; do
  if [ -n "$(section "$c")" ]; then ok "section-$c"; else bad "section-$c" "no .SS \"$c ...\" section"; fi
done
# monitor is documented whether or not this binary has it yet.
for c in read report rules check monitor retain evidence; do
  if ! "$bin" "$c" --help >"$tmp/help" 2>"$tmp/err"; then
    if grep -q 'unknown command' "$tmp/err"; then
      echo "note manpage: this binary has no '$c' command; its options are not compared"
    else
      bad "help-$c" "edgeaudit $c --help failed"
    fi
    continue
  fi
  section "$c" >"$tmp/section"
  missing=""
  for o in $(grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' "$tmp/help" | sort -u); do
    documented "$o" <"$tmp/section" || missing="$missing $o"
  done
  if [ -z "$missing" ]; then ok "options-$c"; else bad "options-$c" "not in the page's $c section:$missing"; fi
  # And the other way: every option the section documents as an item (the
  # line after .TP) is one the command has.
  extra=""
  for o in $(awk 'prev ~ /^\.TP/ { print } { prev = $0 }' "$tmp/section" |
             grep -oE -- '^\.B[IR]? +\\-\\-[a-z][a-z0-9\\-]*[a-z0-9]' | sed -e 's/^\.B[IR]* *//' -e 's/\\-/-/g' | sort -u); do
    [ "$o" = --help ] || grep -qE -- "$o([^a-z-]|$)" "$tmp/help" || extra="$extra $o"
  done
  if [ -z "$extra" ]; then ok "no-phantom-options-$c"; else bad "no-phantom-options-$c" "the page's $c section documents options the command does not have:$extra"; fi
done
# The options of edgeaudit itself.
missing=""
for o in $("$bin" --help | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u) --version; do
  documented "$o" <"$page" || missing="$missing $o"
done
[ -z "$missing" ] && ok options-main || bad options-main "not in the page:$missing"

# The exit codes the binary documents are in EXIT STATUS.
awk '/^\.SH "EXIT STATUS"/{on=1; next} /^\.SH /{on=0} on' "$page" >"$tmp/exit"
missing=""
for code in 0 1 2 130 143; do grep -qE "^\.B(R)? .*\b$code\b" "$tmp/exit" || missing="$missing $code"; done
[ -z "$missing" ] && ok exit-codes || bad exit-codes "missing:$missing"

echo "RESULT $pass $fail"
