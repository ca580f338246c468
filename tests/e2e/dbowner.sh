#!/usr/bin/env bash
# The database of a sensor first started as root belongs to its run user
# (issue 7): `monitor --user nobody` started as root gives the database,
# its -wal/-shm and its -runlock to nobody, so a later start as nobody
# itself (the systemd unit's User=, with CAP_NET_RAW/CAP_NET_ADMIN as
# ambient capabilities, here through setpriv) writes it; a database left
# root's (0644) makes such a start fail with exit 2 and a message naming
# the file's owner and the uid it runs as, not SQLite's "readonly
# database" and exit 1. Needs root, network namespaces and setpriv;
# everything is torn down on exit.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
site=$top/pcaps/site.ini
. "$top/tests/e2e/lib/netns.sh"
e2e_frame dbowner eaown
chmod 1777 "$tmp" # nobody's folder too (SQLite's -wal and -shm)
xs=os${id} xr=or${id}
e2e_netns
command -v setpriv >/dev/null || { bad tools "setpriv missing"; echo "RESULT $pass $fail"; exit 0; }
ip -n "$ns" link add "$xs" type veth peer name "$xr" && ip -n "$ns" link set "$xs" up &&
  ip -n "$ns" link set "$xr" up || { bad setup "cannot set up $ns"; echo "RESULT $pass $fail"; exit 0; }
mon_ns=$ns mon_args=(--site "$site" --external "$xr") mon_stop_s=20
. "$top/tests/e2e/lib/monitor.sh"
owners() { local f o=; for f in "$@"; do [ -e "$f" ] && o="$o $(basename "$f"):$(stat -c %U "$f")"; done; echo "$o"; }

# ---- a root start gives the files away; a start as nobody writes them ----
db=$tmp/a.db log=$tmp/a.log
if start_monitor "$log" --db "$db" --user nobody; then
  running=$(owners "$db" "$db-wal" "$db-shm" "$db-runlock")
  stop_monitor
  if [ "$rc" -eq 0 ] && ! printf '%s' "$running" | grep -q ":root"; then ok given-to-run-user
  else bad given-to-run-user "exit $rc; owners while running:$running" "$log"; fi
else
  bad given-to-run-user "monitor did not start" "$log"
fi
# As the unit starts it: nobody from the start, with the capabilities.
as_nobody=(setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps +net_raw,+net_admin
           --ambient-caps +net_raw,+net_admin)
log=$tmp/b.log
ip netns exec "$ns" "${as_nobody[@]}" "$bin" monitor --site "$site" --external "$xr" --db "$db" \
  --user nobody 2>"$log" &
mon_pid=$!; started+=("$mon_pid")
if wait_log "$log" capturing 10; then
  stop_monitor
  [ "$rc" -eq 0 ] && [ "$(sqlite3 -readonly "$db" 'select count(*) from runs')" = 2 ] \
    && ok later-start-as-run-user || bad later-start-as-run-user "exit $rc" "$log"
else
  bad later-start-as-run-user "did not start" "$log"
fi

# ---- a database left root's: exit 2, the owner and the uid named ----------
db=$tmp/r.db
sqlite3 "$db" 'pragma user_version' >/dev/null # any root-owned file
chown root:root "$db"; chmod 0644 "$db"
log=$tmp/c.log
timeout 20 ip netns exec "$ns" "${as_nobody[@]}" "$bin" monitor --site "$site" --external "$xr" --db "$db" \
  --user nobody 2>"$log"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "r.db is owned by uid 0 (root), mode 0644, and this process runs as uid $(id -u nobody) (nobody)" "$log"; then
  ok root-owned-is-config-error
else
  bad root-owned-is-config-error "exit $rc" "$log"
fi
echo "RESULT $pass $fail"
