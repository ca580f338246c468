#!/usr/bin/env bash
# make check-system: `make install` and edgeaudit-monitor.service on a fresh
# Debian 12 machine under a real systemd as PID 1.
#
# A minimal bookworm is debootstrapped once into build/system/rootfs, with
# what scripts/install-deps.sh installs (the cache is rebuilt when that
# script or the list below changes). Each run boots a copy-on-write overlay
# of it with systemd-nspawn -b (its own network namespace, nothing but lo),
# copies the tree in, and runs the README's commands as root there:
# scripts/install-deps.sh && make && make install, the site file and
# monitor.env in /etc/edgeaudit, systemctl enable --now. The capture
# interface is one end of a veth pair made inside the container; the lab's
# external capture is replayed into the other end with tcpreplay. Then: the
# service is active as the user edgeaudit with CAP_NET_RAW alone, its
# database is in /var/lib/edgeaudit, systemctl reload (SIGHUP) is handled,
# a kill -9 is restarted (Restart=on-failure), and systemctl stop exits 0
# with every flow stored, as many as `read` finds in the same capture.
# The container is powered off and the overlay unmounted at the end, even
# on failure. Each check prints "ok system/<name>" or "FAIL system/<name>:
# why"; without root, debootstrap or systemd-nspawn it says why and skips.
#
# Environment: EA_DEBIAN_MIRROR (default: debootstrap's own),
# EA_SYSTEM_CACHE (default build/system).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${EA_SYSTEM_CACHE:-$top/build/system}
# Packages a Debian 12 server has that a minbase debootstrap lacks: systemd
# as init, iproute2 (the capture interface), logrotate (the installed
# /etc/logrotate.d/edgeaudit). dbus: logind, as on any installed system.
base_pkgs=systemd,systemd-sysv,dbus,iproute2,logrotate
pass=0 fail=0
ok() { echo "ok system/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL system/$1: $2"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$*"; fi; }
finish() { echo "system: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }
skip() { echo "skip system: $*"; echo "system: 0 passed, 0 failed, 1 skipped"; exit 0; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, mount, systemd-nspawn)"
command -v debootstrap >/dev/null || skip "debootstrap not installed (scripts/install-deps.sh --system)"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn not installed (scripts/install-deps.sh --system)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems || skip "the kernel has no overlay file system"
t0=$(now)

# --- The cached Debian 12: debootstrap, then install-deps.sh inside it.
key=$( { echo "$base_pkgs ${EA_DEBIAN_MIRROR:-}"; cat "$top/scripts/install-deps.sh"; } | sha256sum | cut -c1-16)
rootfs=$cache/rootfs
mkdir -p "$cache"
if [ "$(cat "$rootfs/.edgeaudit-cache" 2>/dev/null)" != "$key" ]; then
  echo "system: building the Debian 12 image in $rootfs (once; cached)"
  rm -rf "$rootfs" "$cache/rootfs.new"
  # shellcheck disable=SC2086 # no mirror argument: debootstrap's default
  if ! debootstrap --variant=minbase --include="$base_pkgs" bookworm "$cache/rootfs.new" \
       ${EA_DEBIAN_MIRROR:-} >"$cache/debootstrap.log" 2>&1; then
    bad debootstrap "$(tail -3 "$cache/debootstrap.log")"; rm -rf "$cache/rootfs.new"; finish
  fi
  # The container's own apt, on the host's network; nothing is booted.
  if ! systemd-nspawn -q --register=no --keep-unit -D "$cache/rootfs.new" \
       --bind-ro="$top/scripts:/mnt/scripts" /bin/sh -c '/mnt/scripts/install-deps.sh && apt-get clean' \
       >"$cache/install-deps.log" 2>&1; then
    bad image-install-deps "$(tail -3 "$cache/install-deps.log")"; rm -rf "$cache/rootfs.new"; finish
  fi
  echo "$key" >"$cache/rootfs.new/.edgeaudit-cache"
  mv "$cache/rootfs.new" "$rootfs"
  echo "system: image built in $(secs "$t0" "$(now)") s"
fi
t_image=$(now)
rm -f "$cache/last-monitor.db" "$cache/last-read.db"

# --- This run: an overlay of the image, booted.
run=$(mktemp -d "$cache/run.XXXXXX")
machine=edgeaudit-sys-$$
tpid="" leader=""
cleanup() {
  if [ -n "$tpid" ] && kill -0 "$tpid" 2>/dev/null; then
    # SIGTERM to systemd-nspawn powers the container off; SIGKILL after 20 s.
    kill -TERM "$tpid" 2>/dev/null
    for _ in $(seq 40); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$tpid" 2>/dev/null && { kill -KILL "$tpid"; [ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null; }
    wait "$tpid" 2>/dev/null
  fi
  mountpoint -q "$run/root" && { umount "$run/root" 2>/dev/null || umount -l "$run/root"; }
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$run/upper" "$run/work" "$run/root"
if ! mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$run/upper,workdir=$run/work" "$run/root"; then
  skip "cannot mount an overlay on $cache"
fi
# The tree as a clone would have it (tracked and new files, not build/).
mkdir -p "$run/root/usr/local/src/edgeaudit"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$top" && git ls-files -z --cached --others --exclude-standard |
     tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -C "$run/root/usr/local/src/edgeaudit" -xf -
else
  tar -C "$top" --exclude=./build --exclude=./edgeaudit -cf - . | tar -C "$run/root/usr/local/src/edgeaudit" -xf -
fi
check tree-copied test -f "$run/root/usr/local/src/edgeaudit/Makefile"

# The host's PID 1 is not systemd: no machined, no scope (--register=no,
# --keep-unit). A private network: the container sees only its own lo
# and the veth pair it makes. timeout: a safety net should this script be
# killed without its trap.
timeout 1200 systemd-nspawn -q --register=no --keep-unit -D "$run/root" -M "$machine" \
  --private-network --console=read-only -b >"$run/console.log" 2>&1 </dev/null &
tpid=$!
for _ in $(seq 100); do
  ns=$(pgrep -P "$tpid" -x systemd-nspawn | head -1)
  [ -n "$ns" ] && leader=$(pgrep -P "$ns" -x systemd | head -1)
  [ -n "$leader" ] && break
  sleep 0.2
done
if [ -z "$leader" ]; then
  bad boot "no systemd in the container: $(tail -3 "$run/console.log")"; finish
fi
# A command inside the container (all its namespaces), with a clean
# environment: nothing of this shell's (MAKEFLAGS of a calling make) leaks in.
ct() { nsenter -t "$leader" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         HOME=/root LC_ALL=C.UTF-8 TERM=dumb "$@"; }
state=$(timeout 120 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1)
[ "$(ct cat /proc/1/comm)" = systemd ] && [ "$state" = running ] && ok "boot-systemd-pid1" ||
  bad boot-systemd-pid1 "state '$state'; failed units: $(ct systemctl --failed --no-legend | tr '\n' ' ')"
t_boot=$(now)

# --- The README's commands (as root: no sudo on a minimal machine).
if ct sh -c 'cd /usr/local/src/edgeaudit && scripts/install-deps.sh && make -j2 && make install' >"$run/build.log" 2>&1; then
  ok build-and-make-install
else
  bad build-and-make-install "$(tail -5 "$run/build.log")"; cp "$run/build.log" "$cache/last-build.log"; finish
fi
cp "$run/build.log" "$cache/last-build.log"
t_build=$(now)
uid=$(ct id -u edgeaudit 2>/dev/null)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "$(ct getent passwd edgeaudit | cut -d: -f7)" = /usr/sbin/nologin ] &&
  ok system-user || bad system-user "uid '$uid': $(ct getent passwd edgeaudit)"
check unit-loaded test "$(ct systemctl show -p LoadState --value edgeaudit-monitor)" = loaded

# The site and the interface, as the README says; the interface is one end
# of a veth pair, the other end is where the traffic comes from.
# No IPv6 link-local address (addrgenmode none), as a capture interface
# should have none: its router solicitation would be one more flow.
ct ip link add ea-span type veth peer name ea-feed
ct ip link set ea-span addrgenmode none up
ct ip link set ea-feed addrgenmode none up
ct cp /usr/local/share/edgeaudit/site.ini.example /etc/edgeaudit/site.ini
ct sed -i -e 's/^EDGEAUDIT_INTERFACES=.*/EDGEAUDIT_INTERFACES=--external ea-span/' \
  -e 's|^EDGEAUDIT_OPTIONS=.*|EDGEAUDIT_OPTIONS=--eve /var/log/edgeaudit/eve.json|' /etc/edgeaudit/monitor.env
check site-checks ct edgeaudit check --site /etc/edgeaudit/site.ini

# --- Start.
if ct systemctl enable --now edgeaudit-monitor >"$run/enable.log" 2>&1; then ok enable-now
else bad enable-now "$(tail -3 "$run/enable.log")"; fi
check enabled test "$(ct systemctl is-enabled edgeaudit-monitor)" = enabled
journal() { ct journalctl -q -o cat -u edgeaudit-monitor --no-pager; }
# Active, and still active once it has opened everything and dropped its
# privileges (the status line says so): a unit that fails at start is
# 'active' for an instant.
pid="" status=""
for _ in $(seq 50); do
  pid=$(ct systemctl show -p MainPID --value edgeaudit-monitor)
  status=$(ct cat "/proc/$pid/status" 2>/dev/null)
  [ "$pid" != 0 ] && printf '%s\n' "$status" | grep -q '^CapEff:.*2000$' && break
  sleep 0.2
done
sleep 1
check active test "$(ct systemctl is-active edgeaudit-monitor)" = active
[ "$pid" = "$(ct systemctl show -p MainPID --value edgeaudit-monitor)" ] && ok same-pid-after-start ||
  bad same-pid-after-start "restarted: $(journal | tail -3 | tr '\n' ' ')"
# Privileges: the user edgeaudit (all four ids), CAP_NET_RAW alone
# (0x2000), nothing past the unit's bounding set (NET_RAW|NET_ADMIN),
# no new privileges.
field() { printf '%s\n' "$status" | awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }'; }
check uid-edgeaudit test "$(field Uid)" = "$uid $uid $uid $uid"
gid=$(ct id -g edgeaudit)
check gid-edgeaudit test "$(field Gid)" = "$gid $gid $gid $gid"
# systemd's initgroups() gives the user its own group as a supplementary
# one; nothing else.
groups=$(field Groups)
[ -z "$groups" ] || [ "$groups" = "$gid" ] && ok groups-own-only || bad groups-own-only "Groups: $groups"
check capeff-net-raw-only test "$(field CapEff)" = 0000000000002000
check capprm-net-raw-only test "$(field CapPrm)" = 0000000000002000
check capbnd-unit-set test "$((0x$(field CapBnd) & ~0x3000))" = 0
check no-new-privs test "$(field NoNewPrivs)" = 1
db=/var/lib/edgeaudit/edgeaudit.db
check db-in-var-lib test "$(ct stat -c %U "$db" 2>/dev/null)" = edgeaudit
sql() { ct sqlite3 "$db" "$1"; }

# The reference: the same capture given to read by the installed binary.
ct edgeaudit read --quiet --site /etc/edgeaudit/site.ini --db /var/tmp/read.db \
  --external /usr/local/src/edgeaudit/pcaps/lab-external.pcap >/dev/null 2>&1
# The columns live capture and the file agree on (not run_id nor the
# times: tcpreplay sends at its own rate).
cols="iface, transport, initiator_ip, initiator_port, responder_ip, responder_port, app_protocol,
      verdict, rule_ids, packets, bytes"
want=$(ct sqlite3 /var/tmp/read.db "select $cols from flow_verdicts order by $cols")
nwant=$(ct sqlite3 /var/tmp/read.db "select count(*) from flow_verdicts")
# The lab's external capture, 692 frames at 500 a second, into the veth.
feed() { ct tcpreplay -q --pps=500 -i ea-feed /usr/local/src/edgeaudit/pcaps/lab-external.pcap >"$run/replay.log" 2>&1; }
mainpid() { ct systemctl show -p MainPID --value edgeaudit-monitor; }
# systemctl stop: SIGTERM; every flow stored, the run complete, exit 0
# (ExecMainCode 1 is CLD_EXITED: it ended by itself, not killed).
stopped() { # name
  check "$1-stop" ct systemctl stop edgeaudit-monitor
  local show last
  show=$(ct systemctl show -p Result -p ExecMainCode -p ExecMainStatus edgeaudit-monitor | sort | tr '\n' ' ')
  check "$1-exit-0" test "$show" = "ExecMainCode=1 ExecMainStatus=0 Result=success "
  check "$1-inactive" test "$(ct systemctl is-active edgeaudit-monitor)" = inactive
  last=$(sql "select max(id) from runs")
  check "$1-run-complete" test "$(sql "select status from runs where id = $last")" = complete
  [ "$(sql "select $cols from flow_verdicts where run_id = $last order by $cols")" = "$want" ] &&
    ok "$1-flows-as-read ($nwant)" ||
    bad "$1-flows-as-read" "$(sql "select count(*) from flow_verdicts where run_id = $last") flows, read $nwant"
}

# --- Run 1: traffic, systemctl reload (SIGHUP: handled, same process,
# files unchanged), systemctl stop. EVE lines in /var/log/edgeaudit.
check replay feed
check reload ct systemctl reload edgeaudit-monitor
for _ in $(seq 25); do journal | grep -q 'reload: .*unchanged' && break; sleep 0.2; done
journal | grep -q 'reload: .*unchanged' && ok reload-handled || bad reload-handled "$(journal | tail -3 | tr '\n' ' ')"
check reload-same-pid test "$pid" = "$(mainpid)"
check active-after-reload test "$(ct systemctl is-active edgeaudit-monitor)" = active
stopped run1
eve=/var/log/edgeaudit/eve.json
check eve-line-per-flow test "$(ct wc -l <"$run/root$eve" 2>/dev/null)" = "$nwant"

# --- Run 2: started again; logrotate rotates the EVE file and its
# postrotate's SIGHUP makes the sensor write to the new one; then kill -9,
# and Restart=on-failure starts run 3 (RestartSec=10s).
check start ct systemctl start edgeaudit-monitor
for _ in $(seq 50); do
  pid=$(mainpid); [ "$pid" != 0 ] && ct grep -q '^CapEff:.*2000$' "/proc/$pid/status" 2>/dev/null && break
  sleep 0.2
done
check logrotate ct logrotate -f /etc/logrotate.d/edgeaudit
check eve-rotated test "$(ct wc -l <"$run/root$eve.1" 2>/dev/null)" = "$nwant"
check eve-new-owned test "$(ct stat -c '%U %a' $eve 2>/dev/null)" = "edgeaudit 640"
evefd() { ct find "/proc/$pid/fd" -lname "$1" 2>/dev/null | grep -q .; }
for _ in $(seq 25); do evefd "$eve" && break; sleep 0.2; done
evefd "$eve" && ! evefd "$eve.1" && ok eve-reopened-after-rotation ||
  bad eve-reopened-after-rotation "$(ct ls -l "/proc/$pid/fd" | grep eve)"
check replay-run2 feed
restarts=$(ct systemctl show -p NRestarts --value edgeaudit-monitor)
ct /bin/sh -c "kill -KILL $pid"
newpid=0
for _ in $(seq 100); do
  newpid=$(mainpid)
  [ "$newpid" != 0 ] && [ "$newpid" != "$pid" ] &&
    ct grep -q '^CapEff:.*2000$' "/proc/$newpid/status" 2>/dev/null && break
  sleep 0.25
done
[ "$newpid" != 0 ] && [ "$newpid" != "$pid" ] && ok restarted-after-kill-9 ||
  bad restarted-after-kill-9 "MainPID $newpid; $(ct systemctl is-active edgeaudit-monitor)"
check nrestarts-one-more test "$(ct systemctl show -p NRestarts --value edgeaudit-monitor)" = $((restarts + 1))
check killed-run-interrupted test "$(sql "select status like 'interrupted%' from runs where id = 2")" = 1

# --- Run 3, the restarted one: traffic, systemctl stop.
check replay-run3 feed
stopped run3
check integrity-ok test "$(sql "pragma integrity_check")" = ok
if [ "$fail" -gt 0 ]; then
  echo "--- journal of edgeaudit-monitor"; journal | tail -30
  # For a look afterwards: the sensor's database and read's.
  cp "$run/root/var/lib/edgeaudit/edgeaudit.db" "$cache/last-monitor.db" 2>/dev/null
  cp "$run/root/var/tmp/read.db" "$cache/last-read.db" 2>/dev/null
  echo "databases kept: $cache/last-monitor.db, $cache/last-read.db"
fi
t_end=$(now)
echo "system: image $(secs "$t0" "$t_image") s, boot $(secs "$t_image" "$t_boot") s," \
     "build and install $(secs "$t_boot" "$t_build") s, service checks $(secs "$t_build" "$t_end") s"
finish
