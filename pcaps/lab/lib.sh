# lib.sh — helpers of the capture lab (sourced by build.sh): namespaces,
# background processes we own, bounded waits, captures, teardown.
#
# Every process the lab starts goes through lab_bg, which records its PID;
# teardown ends exactly those (and whatever still runs inside the lab's own
# namespaces), never anything found by name.

LAB_NS_PREFIX=ealab-
LAB_PIDS=()          # background processes we started, in start order
LAB_NAMESPACES=()    # namespaces we created

log() { printf '%s lab: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

ns() { printf '%s%s' "$LAB_NS_PREFIX" "$1"; }

# nsx NS CMD... — run a command inside one of the lab's namespaces.
nsx() {
	local n=$1; shift
	ip netns exec "$(ns "$n")" "$@"
}

ns_add() {
	local n
	n=$(ns "$1")
	ip netns add "$n"
	LAB_NAMESPACES+=("$n")
	ip -n "$n" link set lo up
	# Nothing in the lab uses IPv6 unless an interface turns it back on, so
	# no link-local addresses, router solicitations or MLD reports appear.
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	# Ephemeral ports stay out of Lync's 50000-59999 media range and off
	# every documented port, so a client's source port never looks like a
	# service port to direction inference.
	nsx "$1" sysctl -qw net.ipv4.ip_local_port_range="40000 49999"
}

# Turns the offloads off so captures hold wire-sized frames with correct
# checksums, as a NIC would put them on the wire.
no_offload() {
	nsx "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

# veth NS_A IF_A MAC_A NS_B IF_B MAC_B — one cable between two namespaces.
veth() {
	ip -n "$(ns "$1")" link add "$2" address "$3" type veth peer name "$5" address "$6" netns "$(ns "$4")"
	no_offload "$1" "$2"
	no_offload "$4" "$5"
}

# lab_bg NAME NS CMD... — start a background process inside a namespace,
# its output in $WORK/log/NAME.log, its PID remembered for teardown.
lab_bg() {
	local name=$1 n=$2; shift 2
	ip netns exec "$(ns "$n")" "$@" >"$WORK/log/$name.log" 2>&1 </dev/null &
	local pid=$!
	LAB_PIDS+=("$pid")
	printf '%s %s\n' "$pid" "$name" >>"$WORK/pids"
	eval "PID_${name//[^A-Za-z0-9_]/_}=$pid"
}

pid_of() { local v="PID_${1//[^A-Za-z0-9_]/_}"; printf '%s' "${!v:-}"; }

# stop_bg NAME [SIGNAL] — stop one of our background processes and wait
# (bounded) for it to go.
stop_bg() {
	local pid sig=${2:-TERM} i
	pid=$(pid_of "$1")
	[ -n "$pid" ] || return 0
	kill -s "$sig" "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_listen NS tcp|udp ADDR PORT — until something listens there (≤ 10 s).
wait_listen() {
	local n=$1 proto=$2 addr=$3 port=$4 i flag=-ltn
	[ "$proto" = udp ] && flag=-lun
	for i in $(seq 100); do
		if nsx "$n" ss -H $flag "src $addr sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	die "nothing listens on $proto $addr:$port in $(ns "$n") (see $WORK/log)"
}

# run NAME NS SECONDS CMD... — a client step, bounded by a timeout. A
# client that fails is reported but does not stop the lab: the traffic it
# produced is what counts, and the captures are checked afterwards.
run() {
	local name=$1 n=$2 secs=$3 rc=0; shift 3
	timeout -k 2 "$secs" ip netns exec "$(ns "$n")" "$@" >"$WORK/log/$name.log" 2>&1 </dev/null || rc=$?
	[ $rc -eq 0 ] || log "step $name exited $rc (log: $WORK/log/$name.log)"
	sleep "${LAB_GAP:-0.3}"
	return 0
}

# run_in NAME NS SECONDS INPUT CMD... — same, with INPUT as stdin.
run_in() {
	local name=$1 n=$2 secs=$3 input=$4 rc=0; shift 4
	printf '%b' "$input" | timeout -k 2 "$secs" ip netns exec "$(ns "$n")" "$@" >"$WORK/log/$name.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || log "step $name exited $rc (log: $WORK/log/$name.log)"
	sleep "${LAB_GAP:-0.3}"
	return 0
}

# capture_start NAME NS DEV FILE [tcpdump options] — tcpdump into FILE,
# returning once it is listening (≤ 10 s). Immediate mode: without it
# libpcap hands packets over in blocks up to a second late, and the last
# ones would be lost when the capture is stopped.
capture_start() {
	local name=$1 n=$2 dev=$3 file=$4 i; shift 4
	lab_bg "cap_$name" "$n" tcpdump -n -U --immediate-mode -Z root -i "$dev" -w "$file" "$@"
	for i in $(seq 100); do
		grep -q 'listening on' "$WORK/log/cap_$name.log" 2>/dev/null && return 0
		sleep 0.1
	done
	die "tcpdump $name did not start"
}

# capture_stop NAME [--live] — let the last packets land, stop tcpdump
# cleanly, and fail if it lost any: a capture missing packets is not a
# golden file. --live: traffic is still flowing when the capture stops (the
# midflow case), so a few packets that reach the filter while tcpdump shuts
# down may miss the file; they fall after the capture's end, not inside it.
# Kernel drops are never accepted.
capture_stop() {
	local l=$WORK/log/cap_$1.log got seen dropped slack=0
	[ "${2:-}" = --live ] && slack=3
	sleep 1
	stop_bg "cap_$1" INT
	got=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$l")
	seen=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$l")
	dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$l")
	[ -n "$got" ] && [ -n "$seen" ] && [ "$seen" -ge "$got" ] && [ $((seen - got)) -le $slack ] &&
		[ "$dropped" = 0 ] ||
		die "capture $1 lost packets: captured ${got:-?}, received ${seen:-?}, dropped ${dropped:-?}"
}

# teardown [STATUS] — stop everything, exit with STATUS (default: $?).
teardown() {
	local rc=${1:-$?} i pid n
	trap - EXIT INT TERM
	for ((i = ${#LAB_PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${LAB_PIDS[i]}" 2>/dev/null || true
	done
	for i in $(seq 30); do
		local alive=0
		for pid in "${LAB_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for pid in "${LAB_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	for n in "${LAB_NAMESPACES[@]}"; do ns_destroy "$n"; done
	if [ $rc -ne 0 ] && [ -n "${WORK:-}" ]; then
		log "failed (exit $rc); logs kept in $WORK/log"
		rm -rf "$WORK/pki" "$WORK/run"
	elif [ -n "${WORK:-}" ]; then
		rm -rf "$WORK"
	fi
	exit $rc
}

# ns_destroy NAME — end whatever still runs in one of our namespaces (only
# ours: the name carries the lab's prefix), then delete it.
ns_destroy() {
	local n=$1 pids i
	case $n in "$LAB_NS_PREFIX"*) ;; *) return 0 ;; esac
	ip netns list | awk '{print $1}' | grep -qx "$n" || return 0
	for i in 1 2 3; do
		pids=$(ip netns pids "$n" 2>/dev/null || true)
		[ -z "$pids" ] && break
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null || true
		sleep 0.3
	done
	pids=$(ip netns pids "$n" 2>/dev/null || true)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
	ip netns del "$n" 2>/dev/null || true
}

# Leftovers of an earlier run that died before its trap ran.
destroy_stale_namespaces() {
	local n
	for n in $(ip netns list | awk '{print $1}' | grep "^$LAB_NS_PREFIX" || true); do
		log "removing stale namespace $n"
		ns_destroy "$n"
	done
}

# run_fed NAME NS SECONDS FEED CMD... — a client step whose stdin is the
# output of the shell snippet FEED (e.g. "sleep 0.5; printf x; sleep 0.5"),
# so interactive clients (openssl s_client, nc) talk, then see EOF and close.
run_fed() {
	local name=$1 n=$2 secs=$3 feed=$4 rc=0; shift 4
	bash -c "$feed" | timeout -k 2 "$secs" ip netns exec "$(ns "$n")" "$@" >"$WORK/log/$name.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || log "step $name exited $rc (log: $WORK/log/$name.log)"
	sleep "${LAB_GAP:-0.3}"
	return 0
}

# lab_bg_fed NAME NS FEED CMD... — lab_bg with stdin from the shell
# snippet FEED (bounded by the snippet itself).
lab_bg_fed() {
	local name=$1 n=$2 feed=$3; shift 3
	bash -c "$feed" | ip netns exec "$(ns "$n")" "$@" >"$WORK/log/$name.log" 2>&1 &
	local pid=$!
	LAB_PIDS+=("$pid")
	printf '%s %s\n' "$pid" "$name" >>"$WORK/pids"
	eval "PID_${name//[^A-Za-z0-9_]/_}=$pid"
}
