#!/usr/bin/env bash
# make install, staged: `make install DESTDIR=… PREFIX=/usr` lays out the
# binary, the data files, the man page, the systemd unit and the site's
# example files; the installed binary, moved away from the build tree as a
# whole, finds its own data and audits the lab captures as the build's
# binary does; alone, it says which paths it tried; the unit passes
# `systemd-analyze verify`; make uninstall removes what install put there
# and keeps the site's files. Each check prints "ok <name>" or
# "FAIL <name>: why".
#
# The nested make inherits MAKEFLAGS from `make check` / `make asan`, so the
# installed binary is built in the same build directory with the same flags.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
site="$top/pcaps/site.ini"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/stage"
pass=0 fail=0
ok() { echo "ok install/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL install/$1: $2"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$*"; fi; }

user_before=$(getent passwd edgeaudit >/dev/null && echo yes || echo no)
if make -s -C "$top" install DESTDIR="$stage" PREFIX=/usr >"$tmp/make.log" 2>&1; then
  ok make-install
else
  bad make-install "$(tail -5 "$tmp/make.log")"
  echo "RESULT $pass $fail"; exit 0
fi

# The layout (FHS 3.0; the unit where systemd looks for PREFIX=/usr).
check bin-executable test -x "$stage/usr/bin/edgeaudit"
for f in lync2013-edge.matrix ports.sig README.md site.ini.example; do
  check "data-$f" test -f "$stage/usr/share/edgeaudit/$f"
done
check data-matrix-is-the-trees cmp -s "$stage/usr/share/edgeaudit/lync2013-edge.matrix" "$top/signatures/lync2013-edge.matrix"
check man-page test -f "$stage/usr/share/man/man1/edgeaudit.1"
unit="$stage/usr/lib/systemd/system/edgeaudit-monitor.service"
check unit test -f "$unit"
check sysusers test -f "$stage/usr/lib/sysusers.d/edgeaudit.conf"
check etc-monitor-env test -f "$stage/etc/edgeaudit/monitor.env"
check etc-logrotate test -f "$stage/etc/logrotate.d/edgeaudit"
# DESTDIR is a package being staged: no user is created on this machine.
user_after=$(getent passwd edgeaudit >/dev/null && echo yes || echo no)
check no-user-when-staging test "$user_before" = "$user_after"

# The unit: the privileges and the confinement the service needs.
missing=""
for d in 'ExecStart=/usr/bin/edgeaudit monitor ' 'EnvironmentFile=/etc/edgeaudit/monitor.env' \
         'User=edgeaudit' 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN' \
         'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN' 'NoNewPrivileges=yes' \
         'ProtectSystem=strict' 'ReadWritePaths=/var/lib/edgeaudit' 'ProtectHome=yes' \
         'PrivateTmp=yes' 'Restart=on-failure' 'ExecReload=/bin/sh -c '"'kill -HUP \$MAINPID'"; do
  grep -qF -- "$d" "$unit" 2>/dev/null || missing="$missing [$d]"
done
[ -z "$missing" ] && ok unit-directives || bad unit-directives "missing:$missing"
grep -q '@[A-Z]*@' "$unit" "$stage/etc/edgeaudit/monitor.env" && bad unit-paths-filled "a @VAR@ left" || ok unit-paths-filled

# The installed tree moved elsewhere as a whole, away from the build tree:
# it finds its own data (beside its binary), not the tree's signatures/.
mkdir -p "$tmp/elsewhere"
cp -a "$stage/usr" "$tmp/elsewhere/"
ibin="$tmp/elsewhere/usr/bin/edgeaudit"
(cd "$tmp" && "$ibin" rules --help) >"$tmp/help" 2>&1
if grep -q '/usr/share/edgeaudit' "$tmp/help" && ! grep -qF "$top" "$tmp/help"; then ok help-names-installed-datadir
else bad help-names-installed-datadir "$(grep -i 'matrix' "$tmp/help" | tail -2)"; fi
(cd "$tmp" && "$ibin" check --site "$site") >"$tmp/out" 2>&1
if grep -qF "OK: $tmp/elsewhere/usr/share/edgeaudit/lync2013-edge.matrix" "$tmp/out"; then ok finds-own-data
else bad finds-own-data "$(head -2 "$tmp/out")"; fi
(cd "$tmp" && "$ibin" rules) >"$tmp/out" 2>&1
grep -q '^37 rules' "$tmp/out" && ok rules-from-installed || bad rules-from-installed "$(tail -1 "$tmp/out")"

# It audits the lab captures exactly as the build's binary does.
q="select iface, transport, initiator_ip, initiator_port, responder_ip, responder_port, app_protocol,
   verdict, rule_ids, packets, bytes from flow_verdicts order by 1,2,3,4,5,6"
(cd "$tmp" && "$ibin" read --quiet --site "$site" --db "$tmp/inst.db" \
  --external "$top/pcaps/lab-external.pcap" --internal "$top/pcaps/lab-internal.pcap") >"$tmp/out" 2>&1
rc=$?
"$bin" read --quiet --site "$site" --db "$tmp/tree.db" \
  --external "$top/pcaps/lab-external.pcap" --internal "$top/pcaps/lab-internal.pcap" >/dev/null 2>&1
if [ "$rc" -eq 0 ] && [ "$(sqlite3 "$tmp/inst.db" "select count(*) from flow_verdicts")" -gt 0 ] &&
   [ "$(sqlite3 "$tmp/inst.db" "$q")" = "$(sqlite3 "$tmp/tree.db" "$q")" ]; then
  ok read-lab-as-the-build-does
else
  bad read-lab-as-the-build-does "exit $rc; $(head -2 "$tmp/out")"
fi

# The build's own binary still uses the tree's signatures/.
"$bin" check --site "$site" >"$tmp/out" 2>&1
grep -qF "OK: $top/signatures/lync2013-edge.matrix" "$tmp/out" && ok build-uses-tree \
  || bad build-uses-tree "$(head -1 "$tmp/out")"

# The binary alone: a clear error naming every path tried (exit 2); the
# environment variable points it at its files.
mkdir -p "$tmp/lonely/bin"
cp "$ibin" "$tmp/lonely/bin/edgeaudit"
if [ -e /usr/share/edgeaudit/lync2013-edge.matrix ]; then
  echo "note install: /usr/share/edgeaudit is installed on this machine; the missing-data case is not tested"
else
  (cd "$tmp" && "$tmp/lonely/bin/edgeaudit" rules) >"$tmp/out" 2>&1
  rc=$?
  want="not found (tried $tmp/lonely/share/edgeaudit/lync2013-edge.matrix, /usr/share/edgeaudit/lync2013-edge.matrix)"
  if [ "$rc" -eq 2 ] && grep -qF "$want" "$tmp/out" && grep -q EDGEAUDIT_DATADIR "$tmp/out"; then ok missing-data-names-paths
  else bad missing-data-names-paths "exit $rc: $(head -1 "$tmp/out")"; fi
fi
(cd "$tmp" && EDGEAUDIT_DATADIR="$stage/usr/share/edgeaudit" "$tmp/lonely/bin/edgeaudit" check --site "$site") >"$tmp/out" 2>&1
grep -qF "OK: $stage/usr/share/edgeaudit/lync2013-edge.matrix" "$tmp/out" && ok env-override \
  || bad env-override "$(head -1 "$tmp/out")"

# systemd's own check of the unit (its binary pointed at the staged one:
# /usr/bin/edgeaudit is not on this machine); any message is a failure.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$tmp/units"
  sed "s|^ExecStart=/usr/bin/edgeaudit|ExecStart=$stage/usr/bin/edgeaudit|" "$unit" >"$tmp/units/edgeaudit-monitor.service"
  systemd-analyze verify --man=no "$tmp/units/edgeaudit-monitor.service" >"$tmp/verify" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ] && [ ! -s "$tmp/verify" ]; then ok systemd-analyze-verify
  else bad systemd-analyze-verify "exit $rc: $(head -3 "$tmp/verify")"; fi
else
  echo "note install: systemd-analyze not installed; the unit is not verified by systemd"
fi

# A PREFIX systemd does not read units from: install says so, and says
# how (UNITDIR); with UNITDIR=/etc/systemd/system the unit goes there.
opt="$tmp/opt"
if make -s -C "$top" install DESTDIR="$opt" PREFIX=/opt/edgeaudit >"$tmp/opt.log" 2>&1 \
   && grep -q "/opt/edgeaudit/lib/systemd/system is not a folder systemd reads units from.*UNITDIR=/etc/systemd/system" "$tmp/opt.log" \
   && make -s -C "$top" install DESTDIR="$opt" PREFIX=/opt/edgeaudit UNITDIR=/etc/systemd/system >"$tmp/opt2.log" 2>&1 \
   && ! grep -q "not a folder systemd reads" "$tmp/opt2.log" && [ -f "$opt/etc/systemd/system/edgeaudit-monitor.service" ]; then
  ok other-prefix-unit-dir-said
else
  bad other-prefix-unit-dir-said "$(tail -3 "$tmp/opt.log")"
fi

# Installing again keeps the operator's files; uninstall keeps them too.
echo 'EDGEAUDIT_INTERFACES=--external ens9' >>"$stage/etc/edgeaudit/monitor.env"
make -s -C "$top" install DESTDIR="$stage" PREFIX=/usr >"$tmp/make.log" 2>&1
check reinstall-keeps-env grep -q 'ens9' "$stage/etc/edgeaudit/monitor.env"
if make -s -C "$top" uninstall DESTDIR="$stage" PREFIX=/usr >"$tmp/make.log" 2>&1; then
  left=$(cd "$stage" && find usr -type f | sort | tr '\n' ' ')
  [ -z "$left" ] && ok uninstall-removes || bad uninstall-removes "left: $left"
  check uninstall-keeps-env test -f "$stage/etc/edgeaudit/monitor.env"
else
  bad uninstall "$(tail -3 "$tmp/make.log")"
fi

echo "RESULT $pass $fail"
