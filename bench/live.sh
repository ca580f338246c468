#!/usr/bin/env bash
# bench/live.sh — what `make bench-live` runs: how fast `edgeaudit monitor`
# can capture on both NICs at once without losing a packet, next to
# `tcpdump -w /dev/null` on the same interfaces in the same run, and how
# its memory behaves over a million flows.
#
# usage: bench/live.sh /path/to/edgeaudit
# Environment: LIVE_RATES (packets/s per interface, default
# "25000 50000 100000 200000 400000 topspeed"), LIVE_SECONDS (default 5,
# per rate), LIVE_FLOWS (default 1000000, the memory run), LIVE_MEM_PPS
# (default 10000: its replay rate, two packets per flow; a refused TCP flow
# is kept 10 s after its RST, so the table levels off at LIVE_MEM_PPS / 2
# × 10 flows).
#
# Needs root: it creates a network namespace with two veth pairs (one per
# NIC), replays the corpus (bench/corpus.sh, the same one `make bench`
# reads) into both pairs at once with tcpreplay, and captures on their far
# ends. Nothing leaves the namespace; it is deleted on exit. The rates are
# what tcpreplay asked for; its own achieved rate is printed beside them
# (at "topspeed" that is the injector's ceiling on this machine).
set -euo pipefail
export LC_ALL=C TZ=UTC

bin=${1:?usage: bench/live.sh /path/to/edgeaudit}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench/live
lib=$top/build/libedgeaudit.a
ext=$top/../shared/pcaps/external
packets=${BENCH_PACKETS:-1000000}
seed=${BENCH_SEED:-1}
span=${BENCH_SPAN:-600}
rates=${LIVE_RATES:-25000 50000 100000 200000 400000 topspeed}
seconds=${LIVE_SECONDS:-5}
mem_flows=${LIVE_FLOWS:-1000000}

die() { echo "bench-live: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, packet capture)"
[ -x "$bin" ] || die "$bin: not an executable (run make first)"
[ -f "$lib" ] || die "$lib missing (run make first)"
for t in tcpreplay tcpdump ip sqlite3; do
	command -v $t >/dev/null || die "$t missing (scripts/install-deps.sh --bench)"
done
[[ $seconds =~ ^[1-9][0-9]?$ ]] || die "LIVE_SECONDS must be 1 to 99"
[[ $mem_flows =~ ^[1-9][0-9]*$ ]] && [ "$mem_flows" -ge 200000 ] || die "LIVE_FLOWS must be at least 200000"
mkdir -p "$out"
out=$(cd "$out" && pwd)

. "$top/bench/corpus.sh"

# ---- the namespace ----------------------------------------------------------
ns=eabench$$
sensor_pid=""
cleanup() {
	[ -n "$sensor_pid" ] && kill "$sensor_pid" 2>/dev/null && wait "$sensor_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
# An array, not a function: "${nsx[@]}" cmd & makes $! the command's own
# pid (ip execs it), so signals reach it.
nsx=(ip netns exec "$ns")
# x0 → x1 carries the external NIC's mirror, i0 → i1 the internal's.
for p in x i; do
	"${nsx[@]}" ip link add ${p}0 type veth peer name ${p}1
	"${nsx[@]}" ip link set ${p}0 up
	"${nsx[@]}" ip link set ${p}1 up
	# No IPv6 on the capture side: the kernel's own router solicitations
	# would be captured as traffic nobody sent.
	"${nsx[@]}" sysctl -qw net.ipv6.conf.${p}1.disable_ipv6=1 net.ipv6.conf.${p}0.disable_ipv6=1
done

# The corpus, cut to what one rate step sends.
slice() {  # packets → file
	local f=$out/slice-$1.pcap
	[ -f "$f" ] || editcap -r "$corpus" "$f" "1-$1" >/dev/null
	echo "$f"
}

# tcpreplay on both interfaces at once; prints "achieved-pps-x achieved-pps-i".
replay() {  # rate file
	local args=(--stats=0 -q)
	if [ "$1" = topspeed ]; then args+=(--topspeed); else args+=(--pps="$1"); fi
	"${nsx[@]}" tcpreplay "${args[@]}" -i x0 "$2" > "$out/replay-x.out" 2>&1 &
	local px=$!
	"${nsx[@]}" tcpreplay "${args[@]}" -i i0 "$2" > "$out/replay-i.out" 2>&1 &
	local pi=$!
	wait $px $pi || die "tcpreplay failed: $(cat "$out/replay-x.out" "$out/replay-i.out")"
	local rx ri
	rx=$(sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' "$out/replay-x.out" | tail -1)
	ri=$(sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' "$out/replay-i.out" | tail -1)
	echo "${rx:-0} ${ri:-0}"
}

# Waits until a capturer has its interfaces open: its packet sockets
# appear in /proc/net/packet of the namespace (one per interface).
wait_sockets() {  # count
	for _ in $(seq 1 100); do
		[ "$("${nsx[@]}" awk 'NR > 1' /proc/net/packet | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	die "the capturer did not open its interfaces in 10 s"
}

# tcpdump on both interfaces (two processes), its kernel drops summed.
peer_run() {  # rate file → "received dropped"
	"${nsx[@]}" tcpdump -i x1 -B 65536 -s 0 -w /dev/null > "$out/tcpdump-x.out" 2>&1 &
	local tx=$!
	"${nsx[@]}" tcpdump -i i1 -B 65536 -s 0 -w /dev/null > "$out/tcpdump-i.out" 2>&1 &
	local ti=$!
	wait_sockets 2
	local achieved
	achieved=$(replay "$1" "$2")
	sleep 0.5
	kill -INT $tx $ti; wait $tx $ti || true
	local rcv drop
	rcv=$(cat "$out/tcpdump-x.out" "$out/tcpdump-i.out" | sed -n 's/^\([0-9]*\) packets received by filter/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	drop=$(cat "$out/tcpdump-x.out" "$out/tcpdump-i.out" | sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	echo "$rcv $drop $achieved"
}

# edgeaudit monitor on both interfaces; received and dropped are
# libpcap's counters (kernel ring and interface drops summed) as the
# sensor logs them when it stops.
sensor_run() {  # rate file → "received dropped achieved-x achieved-i"
	local db=$out/live.db
	rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
	"${nsx[@]}" "$bin" monitor --site "$site" --db "$db" --external x1 --internal i1 --user root \
		> "$out/monitor.out" 2>&1 &
	sensor_pid=$!
	wait_sockets 2
	local achieved
	achieved=$(replay "$1" "$2")
	sleep 0.5
	kill -TERM "$sensor_pid"; wait "$sensor_pid" || die "monitor failed: $(tail -5 "$out/monitor.out")"
	sensor_pid=""
	local counts
	counts=$(grep -E '^edgeaudit: counters: (external|internal):' "$out/monitor.out" | tail -2 |
		sed -n 's/.*libpcap: \([0-9]*\) received, \([0-9]*\) dropped, \([0-9]*\) dropped by the interface.*/\1 \2 \3/p' |
		awk '{ r += $1; d += $2 + $3; n++ } END { if (n == 2) print r, d }')
	[ -n "$counts" ] || die "monitor logged no counters at stop (see $out/monitor.out)"
	echo "$counts $achieved"
}

report=$out/results.txt
{
	echo "edgeaudit live benchmark, $(date -u '+%Y-%m-%d %H:%M UTC') ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "corpus: $c_packets packets (sha256 $c_sha); each rate step sends up to ${seconds} s of it on both veth pairs at once"
	printf '%-10s %-24s %-26s %-26s\n' "asked pps" "achieved pps (ext+int)" "tcpdump -w /dev/null" "edgeaudit monitor"
	printf '%-10s %-24s %-26s %-26s\n' "per NIC" "" "received / dropped" "received / dropped"
} | tee "$report"
for r in $rates; do
	if [ "$r" = topspeed ]; then n=$c_packets; else n=$((r * seconds)); [ "$n" -gt "$c_packets" ] && n=$c_packets; fi
	f=$(slice "$n")
	read -r p_rcv p_drop p_ax p_ai < <(peer_run "$r" "$f")
	read -r s_rcv s_drop s_ax s_ai < <(sensor_run "$r" "$f")
	printf '%-10s %-24s %-26s %-26s\n' "$r" "$(awk -v a="$p_ax" -v b="$p_ai" -v c="$s_ax" -v d="$s_ai" 'BEGIN { printf "%.0f / %.0f", (a + b), (c + d) }')" \
		"$p_rcv / $p_drop" "$s_rcv / $s_drop" | tee -a "$report"
done

# ---- memory over a million flows -------------------------------------------
# mkflows writes N two-packet flows (a refused SYN each); replayed at a
# fixed rate (LIVE_MEM_PPS), the sensor's resident memory is sampled every half second and
# set against the flows sent so far.
mk=$top/build/tests/mkflows
[ -x "$mk" ] || make -C "$top" --no-print-directory build/tests/mkflows >/dev/null
mem_cap=$out/flows-$mem_flows.pcap
[ -f "$mem_cap" ] || "$mk" "$mem_flows" "$mem_cap"
mem_rate=${LIVE_MEM_PPS:-10000}
db=$out/mem.db
rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
"${nsx[@]}" "$bin" monitor --site "$site" --db "$db" --external x1 --user root > "$out/monitor-mem.out" 2>&1 &
sensor_pid=$!
wait_sockets 1
"${nsx[@]}" tcpreplay -q --stats=0 --pps=$mem_rate -i x0 "$mem_cap" > "$out/replay-mem.out" 2>&1 &
rp=$!
start=$(date +%s.%N)
# VmRSS includes libpcap's packet ring (mapped from the kernel, touched
# page by page until it has wrapped once); RssAnon is the sensor's own
# heap: flows, nDPI, SQLite, queues. Both are sampled.
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
: > "$out/rss.samples"
while kill -0 $rp 2>/dev/null; do
	now=$(date +%s.%N)
	rss=$(status_kib "$sensor_pid" VmRSS)
	anon=$(status_kib "$sensor_pid" RssAnon)
	awk -v s="$start" -v n="$now" -v r=$mem_rate -v k="$rss" -v a="$anon" 'BEGIN { printf "%d %d %d\n", (n - s) * r / 2, k, a }' >> "$out/rss.samples"
	sleep 0.5
done
wait $rp || die "tcpreplay failed: $(cat "$out/replay-mem.out")"
sleep 1
rss_end=$(status_kib "$sensor_pid" VmRSS)
anon_end=$(status_kib "$sensor_pid" RssAnon)
kill -TERM "$sensor_pid"; wait "$sensor_pid" || die "monitor failed: $(tail -5 "$out/monitor-mem.out")"
sensor_pid=""
stored=$(sqlite3 "$db" 'SELECT count(*) FROM flows')
awk -v end="$rss_end" -v aend="$anon_end" -v total="$mem_flows" -v stored="$stored" -v rate=$mem_rate '
	$1 >= 100000 && !base { base = $2; abase = $3; at = $1 }
	$1 >= 100000 { if ($3 > amax) amax = $3; if (!amin || $3 < amin) amin = $3 }
	END {
		printf "memory: %d flows replayed at %d pps on one NIC, %d stored\n", total, rate, stored
		printf "  heap (RssAnon) at flow %d: %.1f MiB; at the end: %.1f MiB (%+.1f %%); range after flow 100000: %.1f-%.1f MiB\n",
			at, abase / 1024, aend / 1024, (aend - abase) * 100 / abase, amin / 1024, amax / 1024
		printf "  resident (VmRSS, with the packet ring) at flow %d: %.1f MiB; at the end: %.1f MiB\n",
			at, base / 1024, end / 1024
	}' "$out/rss.samples" | tee -a "$report"
echo "(raw samples: $out/rss.samples: flows sent, VmRSS KiB, RssAnon KiB)" | tee -a "$report"
