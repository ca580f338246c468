# tests/e2e/lib/monitor.sh — starting, watching and stopping `edgeaudit
# monitor` from an e2e script (monitor.sh, live.sh, dbowner.sh, outstall.sh):
# sourced, not run.
# The script sets, before calling these:
#   bin          the edgeaudit binary
#   mon_ns       the network namespace the sensor runs in
#   mon_args     array of options every start gets (e.g. (--user root))
#   mon_stop_s   how long stop_monitor waits for the exit (default 20 s)
#   started      array of pids its cleanup kills
# Every wait is bounded.

mon_pid=
# Starts monitor in $mon_ns with "${mon_args[@]}" and the given options;
# its stderr to log $1. Waits (≤ 10 s) for it to say it captures.
start_monitor() {
  local log=$1 i; shift
  # Not through a shell function: $! must be the sensor itself (ip netns
  # exec becomes it), the process the signals are for.
  ip netns exec "$mon_ns" "$bin" monitor "${mon_args[@]}" "$@" 2>"$log" &
  mon_pid=$!
  started+=("$mon_pid")
  for ((i = 0; i < 200; i++)); do
    grep -q "capturing" "$log" 2>/dev/null && return 0
    kill -0 "$mon_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Waits (≤ $3 s) for a line matching $2 in log $1.
wait_log() {
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# SIGTERM, then waits (≤ $mon_stop_s s, default 20) for the exit; its code
# in $rc. Killed if it outlives the wait.
stop_monitor() {
  local i
  kill -TERM "$mon_pid" 2>/dev/null
  for ((i = 0; i < ${mon_stop_s:-20} * 20; i++)); do kill -0 "$mon_pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$mon_pid" 2>/dev/null && kill -9 "$mon_pid" 2>/dev/null
  { wait "$mon_pid"; rc=$?; } 2>/dev/null
}

# Waits (≤ 5 s) until libpcap has delivered $3 frames of interface side
# $2 (external or internal) per log $1, asking the sensor with SIGUSR1.
wait_frames() {
  local log=$1 side=$2 want=$3 i n
  for ((i = 0; i < 25; i++)); do
    kill -USR1 "$mon_pid" 2>/dev/null
    sleep 0.2
    n=$(grep "counters: $side:" "$log" | tail -1 | sed -n 's/.*, \([0-9]*\) frames,.*/\1/p')
    [ -n "$n" ] && [ "$n" -ge "$want" ] && return 0
  done
  return 1
}
