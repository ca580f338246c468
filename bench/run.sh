#!/usr/bin/env bash
# bench/run.sh — what `make bench` runs: throughput and memory of
# `edgeaudit read` against `ndpiReader -q` (nDPI 4.2) on one reproducible
# synthetic corpus (bench/gencorpus.c), both timed in the same run.
#
# usage: bench/run.sh /path/to/edgeaudit [ROUNDS]
# Environment: BENCH_PACKETS (default 1000000), BENCH_SEED (default 1),
# BENCH_SPAN (seconds over which flows start, default 600).
# Everything it writes goes under build/bench/; results.txt keeps the last
# report. The machine may be shared and noisy: the tools run alternately,
# ROUNDS times (default 3), and medians are reported, beside CPU-time
# figures that noise from other processes disturbs less.
set -euo pipefail
export LC_ALL=C TZ=UTC

bin=${1:?usage: bench/run.sh /path/to/edgeaudit [ROUNDS]}
rounds=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench
packets=${BENCH_PACKETS:-1000000}
seed=${BENCH_SEED:-1}
span=${BENCH_SPAN:-600}
ext=$top/../shared/pcaps/external
lib=$top/build/libedgeaudit.a
matrix=$top/signatures/lync2013-edge.matrix
ports=$top/signatures/ports.sig

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin: not an executable (run make first)"
[ -f "$lib" ] || die "$lib missing (run make first)"
[[ $rounds =~ ^[1-9][0-9]?$ ]] || die "ROUNDS must be 1 to 99"
command -v ndpiReader >/dev/null || die "ndpiReader missing (scripts/install-deps.sh --bench)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (scripts/install-deps.sh --bench)"
command -v sqlite3 >/dev/null || die "sqlite3 missing (scripts/install-deps.sh)"
mkdir -p "$out"

. "$top/bench/corpus.sh"

# ---- runs -------------------------------------------------------------------
# /usr/bin/time -f: wall seconds, user and system CPU seconds, peak RSS KiB.
tfmt='%e %U %S %M'
run_edgeaudit() {  # capture, timing file
	rm -f "$out/run.db" "$out/run.db-wal" "$out/run.db-shm" "$out/run.db-journal"
	/usr/bin/time -f "$tfmt" -o "$2" "$bin" read --quiet --site "$site" --db "$out/run.db" \
		--external "$1" > "$out/edgeaudit.out" 2>&1 || { cat "$out/edgeaudit.out" >&2; die "edgeaudit read failed"; }
}
run_ndpi() {  # capture, timing file
	/usr/bin/time -f "$tfmt" -o "$2" ndpiReader -q -i "$1" > "$out/ndpi.out" 2>&1 ||
		{ cat "$out/ndpi.out" >&2; die "ndpiReader failed"; }
}

cat "$corpus" > /dev/null  # read once so no run pays for the disk

# Untimed checks that both tools read the whole corpus.
ndpiReader -i "$corpus" > "$out/ndpi-full.out" 2>&1 || die "ndpiReader failed (see $out/ndpi-full.out)"
n_ip=$(sed -n 's/^[[:space:]]*IP packets:[[:space:]]*\([0-9]*\)[[:space:]]*of \([0-9]*\) packets total.*/\1 \2/p' "$out/ndpi-full.out")
[ "$n_ip" = "$c_packets $c_packets" ] || die "ndpiReader saw '$n_ip' packets, the corpus has $c_packets"
n_ndpi_flows=$(sed -n 's/^[[:space:]]*Unique flows:[[:space:]]*\([0-9]*\).*/\1/p' "$out/ndpi-full.out")

/usr/bin/time -f "$tfmt" -o "$out/peak.time" "$out/peakflows" --site "$site" --matrix "$matrix" \
	--ports "$ports" "$corpus" > "$out/peak.stats" || die "peakflows failed"
/usr/bin/time -f "$tfmt" -o "$out/peak-tiny.time" "$out/peakflows" --site "$site" --matrix "$matrix" \
	--ports "$ports" "$out/tiny.pcap" > /dev/null || die "peakflows failed on the tiny corpus"
peak=$(stat_of "$out/peak.stats" peak_flows)
[ "${peak:-0}" -gt 0 ] || die "no peak flow count from peakflows"

run_edgeaudit "$out/tiny.pcap" "$out/ea-tiny.time"
: > "$out/ea.times"
: > "$out/ndpi.times"
for r in $(seq 1 "$rounds"); do
	echo "bench: round $r of $rounds" >&2
	run_edgeaudit "$corpus" "$out/t"; cat "$out/t" >> "$out/ea.times"
	run_ndpi "$corpus" "$out/t"; cat "$out/t" >> "$out/ndpi.times"
done
ea_flows=$(sqlite3 "$out/run.db" 'SELECT flows FROM runs ORDER BY id DESC LIMIT 1')
ea_packets=$(sqlite3 "$out/run.db" 'SELECT packets FROM runs ORDER BY id DESC LIMIT 1')
ea_rows=$(sqlite3 "$out/run.db" 'SELECT count(*) FROM flows')
[ "$ea_packets" = "$c_packets" ] || die "edgeaudit recorded $ea_packets packets, the corpus has $c_packets"

# ---- figures ----------------------------------------------------------------
# column n (1 wall, 2 user, 3 sys, 4 RSS, 5 = user+sys) of a times file, median
median() {
	awk -v c="$2" '{ v = (c == 5) ? $2 + $3 : $c; print v }' "$1" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ea_wall=$(median "$out/ea.times" 1);   nd_wall=$(median "$out/ndpi.times" 1)
ea_cpu=$(median "$out/ea.times" 5);    nd_cpu=$(median "$out/ndpi.times" 5)
ea_rss=$(median "$out/ea.times" 4);    nd_rss=$(median "$out/ndpi.times" 4)
ea_base=$(awk '{ print $4 }' "$out/ea-tiny.time")
pk_rss=$(awk '{ print $4 }' "$out/peak.time")
pk_base=$(awk '{ print $4 }' "$out/peak-tiny.time")

perf_line=""
if perf stat -e instructions -x, true 2>&1 | grep -q '^[0-9]'; then
	ins=$(perf stat -e instructions -x, "$bin" read --quiet --site "$site" --db "$out/perf.db" \
		--external "$corpus" 2>&1 >/dev/null | awk -F, '/instructions/ { print $1 }')
	rm -f "$out/perf.db" "$out/perf.db-wal" "$out/perf.db-shm"
	perf_line=$(awk -v i="$ins" -v p="$c_packets" 'BEGIN { printf "  instructions/packet   %.0f (perf stat, edgeaudit read)\n", i / p }')
else
	perf_line="  instructions/packet   n/a (perf stat -e instructions is not supported on this machine)"
fi

report=$out/results.txt
awk -v p="$c_packets" -v f="$c_flows" -v v6="$c_v6" -v dur="$c_dur" -v act="$c_active" \
    -v sha="$c_sha" -v eaf="$ea_flows" -v rows="$ea_rows" -v ndf="$n_ndpi_flows" -v peak="$peak" \
    -v ew="$ea_wall" -v nw="$nd_wall" -v ec="$ea_cpu" -v nc="$nd_cpu" \
    -v er="$ea_rss" -v nr="$nd_rss" -v eb="$ea_base" -v pr="$pk_rss" -v pb="$pk_base" \
    -v rounds="$rounds" -v when="$(date -u '+%Y-%m-%d %H:%M UTC')" -v ncpu="$(nproc)" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v ndv="$(ndpiReader -h 2>&1 | sed -n 's/.*nDPI \([0-9.]*\).*/\1/p' | head -1)" '
BEGIN {
	printf "edgeaudit benchmark, %s (%d CPUs, load %s)\n", when, ncpu, load
	printf "corpus: %d packets, %d flows (%d IPv6), %.0f s of traffic, %d flows active at once at most\n", p, f, v6, dur, act
	printf "        sha256 %s\n", sha
	printf "        edgeaudit: %d flows recorded (%d rows), %d at most in its flow table; ndpiReader: %d flows\n", eaf, rows, peak, ndf
	printf "median of %d alternating rounds        edgeaudit read   ndpiReader -q %s   ratio\n", rounds, ndv
	printf "  packets/s, wall clock          %12.0f   %12.0f          %.2f\n", p / ew, p / nw, nw / ew
	printf "  packets/s, CPU time (usr+sys)  %12.0f   %12.0f          %.2f\n", p / ec, p / nc, nc / ec
	printf "  wall / CPU seconds             %6.2f / %-5.2f   %6.2f / %-5.2f\n", ew, ec, nw, nc
	printf "  peak RSS                       %9.1f MiB   %9.1f MiB\n", er / 1024, nr / 1024
	printf "edgeaudit memory per flow (peak RSS minus the same run on a %s-flow capture):\n", "tiny"
	printf "  with the database:    %6.0f bytes per flow at its peak of %d flows (%.1f MiB over a %.1f MiB baseline)\n", (er - eb) * 1024 / peak, peak, (er - eb) / 1024, eb / 1024
	printf "  pipeline, no database:%6.0f bytes per flow at its peak (%.1f MiB over %.1f MiB; bench/peakflows)\n", (pr - pb) * 1024 / peak, (pr - pb) / 1024, pb / 1024
	printf "  over all %d flows:    %6.0f bytes per flow (with the database)\n", eaf, (er - eb) * 1024 / eaf
}' | tee "$report"
echo "$perf_line" | tee -a "$report"
echo "(ratio > 1: edgeaudit is faster; raw times in $out/ea.times and $out/ndpi.times)" | tee -a "$report"
