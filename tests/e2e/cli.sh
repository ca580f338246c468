#!/usr/bin/env bash
# Command-line behaviour: help, exit codes, configuration errors with
# file:line, duplicate captures, broken and truncated captures, database
# failures. Each check prints "ok <name>" or "FAIL <name>: why".
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
shared="$top/../shared/pcaps/external"
site="$top/pcaps/site.ini"
tmp=$(mktemp -d)
lockpid=""
rodir=""
trap '[ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null; rm -rf "$tmp" ${rodir:+"$rodir"}' EXIT
pass=0 fail=0

ok() { echo "ok cli/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL cli/$1: $2"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5; fail=$((fail + 1)); }
# run NAME EXPECTED_RC [PATTERN_IN_OUTPUT] -- command...
run() {
  local name=$1 want=$2 pat=$3; shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name" "exit $rc, wanted $want"; return; fi
  if [ -n "$pat" ] && ! grep -qE -- "$pat" "$tmp/out" "$tmp/err"; then bad "$name" "output lacks /$pat/"; return; fi
  ok "$name"
}
rows() { sqlite3 "$1" "$2"; }

run help 0 'read +audit capture files' -- "$bin" --help
run read-help 0 '--external PCAP' -- "$bin" read --help
run report-help 0 'never used' -- "$bin" report --help
run unknown-command 2 'unknown command' -- "$bin" frobnicate
run read-needs-site 2 '--site is required' -- "$bin" read --db "$tmp/x.db" --external "$shared/ndpi_sip.pcap"
run read-needs-input 2 'at least one' -- "$bin" read --site "$site" --db "$tmp/x.db"
run bad-max-flows 2 'max-flows' -- "$bin" read --site "$site" --db "$tmp/x.db" --max-flows 0 --external "$shared/ndpi_sip.pcap"
run rules-lists-37 0 '^37 rules' -- "$bin" rules
run check-ok 0 '^OK: .*37 rules' -- "$bin" check --site "$site"

# A wrong line in the site file: file:line, exit 2, nothing written.
printf '[roles]\naccess_edge = 10.0.1.10\nav_edge = 10.0.1.300\nnot_a_role = 10.9.9.9\n' > "$tmp/bad-site.ini"
run bad-site-line 2 'bad-site.ini:3:' -- "$bin" check --site "$tmp/bad-site.ini"
run bad-site-all-errors 2 'bad-site.ini:4:' -- "$bin" check --site "$tmp/bad-site.ini"
run bad-site-read 2 'bad-site.ini:3:' -- "$bin" read --site "$tmp/bad-site.ini" --db "$tmp/none.db" --external "$shared/ndpi_sip.pcap"
[ ! -e "$tmp/none.db" ] && ok bad-site-writes-nothing || bad bad-site-writes-nothing "database created"

# A wrong line in the matrix.
sed 's/^port = 5269$/port = 5269x/' "$top/signatures/lync2013-edge.matrix" > "$tmp/bad.matrix"
line=$(grep -n '^port = 5269x$' "$tmp/bad.matrix" | head -1 | cut -d: -f1)
run bad-matrix-line 2 "bad.matrix:$line:" -- "$bin" check --site "$site" --matrix "$tmp/bad.matrix"
printf '[ports]\ntcp/443 = TLS\ntcp/400-500 = HTTP\nudp/9 = NoSuchProto\n' > "$tmp/bad.sig"
run bad-ports-overlap 2 'bad.sig:3:' -- "$bin" check --site "$site" --ports "$tmp/bad.sig"

# Every problem of every file, in line order, each at its own line: an
# unknown protocol at its protocols line even beside other mistakes, an
# unknown table, a matrix port that ports.sig does not cover.
m="$top/signatures/lync2013-edge.matrix"
awk 'BEGIN{p=0} /^\[rule ext-02\]/{r=1} r&&/^protocols = /&&!p{print "protocols = HTTP, NoSuchProto"; p=1; next} {print}' "$m" \
  | sed 's/^port = 5269$/port = 5269x/; 0,/^table = internal$/s//table = bogus/' > "$tmp/multi.matrix"
l_port=$(grep -n '^port = 5269x$' "$tmp/multi.matrix" | head -1 | cut -d: -f1)
l_proto=$(grep -n 'NoSuchProto' "$tmp/multi.matrix" | cut -d: -f1)
l_table=$(grep -n '^table = bogus$' "$tmp/multi.matrix" | cut -d: -f1)
run check-every-matrix-problem 2 "multi.matrix:$l_proto: protocols: protocol 'NoSuchProto' is unknown to nDPI" \
  -- "$bin" check --site "$site" --matrix "$tmp/multi.matrix"
lines=$(grep -o 'multi.matrix:[0-9]*:' "$tmp/err" | cut -d: -f2)
{ printf '%s\n' "$lines" | sort -n -c && printf '%s\n' "$lines" | grep -qx "$l_port" \
  && printf '%s\n' "$lines" | grep -qx "$l_table"; } 2>/dev/null \
  && ok check-line-order || bad check-line-order "lines: $(echo $lines)"
grep -q "multi.matrix:$l_table: table 'bogus' is not one of" "$tmp/err" && ok check-table-bogus \
  || bad check-table-bogus "table = bogus accepted"
grep -v '^tcp/5269 ' "$top/signatures/ports.sig" > "$tmp/no5269.sig"
l_5269=$(grep -n '^port = 5269$' "$m" | head -1 | cut -d: -f1)
run check-port-not-covered 2 "lync2013-edge.matrix:$l_5269: rule ext-01: tcp/5269 has no port signature" \
  -- "$bin" check --site "$site" --ports "$tmp/no5269.sig"

# check lists the problems of every file at once.
run check-all-files 2 'bad.sig:3:' -- "$bin" check --site "$tmp/bad-site.ini" --ports "$tmp/bad.sig"
grep -q 'bad-site.ini:3:' "$tmp/err" && ok check-all-files-site || bad check-all-files-site "site errors hidden by the signature errors"

# A matrix with errors still declares its roles: the site file's mistakes
# are listed beside the matrix's, not hidden behind "not checked".
sed 's/^protocols *= *TLS/protocols = NoSuchProto/' "$top/signatures/lync2013-edge.matrix" > "$tmp/proto.matrix"
run check-site-despite-matrix-errors 2 'bad-site.ini:3:' -- "$bin" check --site "$tmp/bad-site.ini" --matrix "$tmp/proto.matrix"
grep -q "proto.matrix:[0-9]*: protocols: protocol 'NoSuchProto'" "$tmp/err" && ok check-site-despite-matrix-errors-both || bad check-site-despite-matrix-errors-both "the matrix's own errors are missing"
# rules loads the matrix as a ruleset: a protocol nDPI does not know is an error there too.
run rules-checks-protocols 2 "proto.matrix:[0-9]*: protocols: protocol 'NoSuchProto' is unknown to nDPI" \
  -- "$bin" rules --matrix "$tmp/proto.matrix"

# Messages escape file names and file text: no terminal escape reaches stderr.
esc=$'\e'
evil="$tmp/${esc}[31mx.ini"
cp "$tmp/bad-site.ini" "$evil"
run escape-file-name 2 'x1b\[31mx\.ini:3:' -- "$bin" check --site "$evil"
grep -q "$esc" "$tmp/err" && bad escape-file-name-raw "a raw ESC on stderr" || ok escape-file-name-raw
run escape-read-file-name 2 'x1b\[31mx\.ini:3:' -- "$bin" read --site "$evil" --db "$tmp/none.db" --external "$shared/ndpi_sip.pcap"
grep -q "$esc" "$tmp/err" && bad escape-read-file-name-raw "a raw ESC on stderr" || ok escape-read-file-name-raw
{ cat "$site"; printf 'client = 198.51.100.1 %s]0;owned\a\n' "$esc"; } > "$tmp/esc-text.ini"
run escape-site-text 2 'esc-text.ini:[0-9]+: line is not UTF-8 text' -- "$bin" check --site "$tmp/esc-text.ini"
grep -q "$esc" "$tmp/err" && bad escape-site-text-raw "a raw ESC on stderr" || ok escape-site-text-raw
run escape-option 2 'unknown option .--x\\x1b\[31m.' -- "$bin" check --"x${esc}[31m" --site "$site"
run escape-capture-name 1 'x1b\[31mnope\.pcap' -- "$bin" read --site "$site" --db "$tmp/g.db" --external "$tmp/${esc}[31mnope.pcap"
grep -q "$esc" "$tmp/err" && bad escape-capture-name-raw "a raw ESC on stderr" || ok escape-capture-name-raw
# A newline in a capture's name cannot forge a message line: one line, \x0a.
nl_name="$tmp/a"$'\n'"FORGED b.pcap"
cp "$shared/tcpdump_unsupported-link-type-160.pcap" "$nl_name"
run escape-capture-newline 1 'a\\x0aFORGED b\.pcap: no frame could be decoded' -- "$bin" read --site "$site" --db "$tmp/nl.db" --external "$nl_name"
[ "$(grep -c FORGED "$tmp/err")" = 1 ] && ! grep -q '^FORGED' "$tmp/err" && ok escape-capture-newline-one-line || bad escape-capture-newline-one-line "the name's newline split a message"
nl_fifo="$tmp/f"$'\n'"FORGED.fifo"
mkfifo "$nl_fifo"
timeout 20 cat "$shared/ndpi_sip.pcap" > "$nl_fifo" & nl_writer=$!
timeout 20 "$bin" read --quiet --site "$site" --db "$tmp/nl2.db" --external "$shared/ndpi_sip.pcap" --external "$nl_fifo" >/dev/null 2>"$tmp/err"
wait "$nl_writer"
grep -q 'x0aFORGED.fifo has the same content' "$tmp/err" && ! grep -q '^FORGED' "$tmp/err" && ok escape-stream-warning-newline || bad escape-stream-warning-newline "the warning printed the name raw or not at all"

# Exit codes as --help says: a data file that is missing or a directory is
# a configuration error (2) for every command; a directory given for any
# path option says so; a single-valued option given twice is an error.
run check-missing-site 2 'nope.ini: cannot open' -- "$bin" check --site "$tmp/nope.ini"
run rules-missing-matrix 2 'nope.matrix: cannot open' -- "$bin" rules --matrix "$tmp/nope.matrix"
run read-missing-site 2 'nope.ini: cannot open' -- "$bin" read --site "$tmp/nope.ini" --db "$tmp/none.db" --external "$shared/ndpi_sip.pcap"
run check-site-directory 2 'is a directory' -- "$bin" check --site "$tmp"
run check-ports-directory 2 'is a directory' -- "$bin" check --site "$site" --ports "$tmp"
run read-db-directory 2 "--db '.*' is a directory" -- "$bin" read --site "$site" --db "$tmp" --external "$shared/ndpi_sip.pcap"
run read-site-directory 2 "--site '.*' is a directory" -- "$bin" read --site "$tmp" --db "$tmp/none.db" --external "$shared/ndpi_sip.pcap"
run read-capture-directory 2 "--external '.*' is a directory" -- "$bin" read --site "$site" --db "$tmp/none.db" --external "$tmp"
run report-db-directory 2 "--db '.*' is a directory" -- "$bin" report --db "$tmp"
run rules-matrix-directory 2 "--matrix '.*' is a directory" -- "$bin" rules --matrix "$tmp"
# A data file that is a device or a pipe is refused at once: /dev/zero
# never ends, and `read` hashes each data file after loading it, so a
# pipe's (process substitution's) content would not be the one recorded.
run check-matrix-device 2 'dev/zero: not a regular file' -- timeout 20 "$bin" check --site "$site" --matrix /dev/zero
run read-site-pipe 2 'not a regular file' -- "$bin" read --site <(cat "$site") --db "$tmp/pipe-site.db" --external "$shared/ndpi_sip.pcap"
[ -e "$tmp/pipe-site.db" ] && bad read-site-pipe-nothing-written "a database was created" || ok read-site-pipe-nothing-written
run read-db-twice 2 '--db is given twice' -- "$bin" read --site "$site" --db "$tmp/h1.db" --db "$tmp/h2.db" --external "$shared/ndpi_sip.pcap"
[ ! -e "$tmp/h1.db" ] && [ ! -e "$tmp/h2.db" ] && ok read-db-twice-writes-nothing || bad read-db-twice-writes-nothing "a database was created"
# A usage error is its message and where the help is, not the whole
# --help (GNU tools' way); exit 2 as before.
for c in read monitor report; do
  "$bin" $c --no-such-option >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 2 ] && grep -q "^Try 'edgeaudit $c --help'.\$" "$tmp/err" \
     && grep -q "unknown option '--no-such-option'" "$tmp/err"; then ok "usage-error-short-$c"
  else bad "usage-error-short-$c" "exit $rc, $(wc -l <"$tmp/err") lines on stderr"; fi
done
# --eve - is refused (no file named '-' is written; stdout carries the summary).
cd "$tmp" || exit 1
run read-eve-dash 2 '--eve -: standard output is not an EVE destination' -- "$bin" read --site "$site" --db "$tmp/dash.db" --eve - --external "$shared/ndpi_sip.pcap"
cd - >/dev/null || exit 1
[ ! -e "$tmp/-" ] && [ ! -e "$tmp/dash.db" ] && ok read-eve-dash-writes-nothing || bad read-eve-dash-writes-nothing "a file '-' or a database was created"
run read-site-twice 2 '--site is given twice' -- "$bin" read --site "$site" --site "$site" --db "$tmp/none.db" --external "$shared/ndpi_sip.pcap"
run read-max-flows-twice 2 '--max-flows is given twice' -- "$bin" read --site "$site" --db "$tmp/none.db" --max-flows 5 --max-flows 6 --external "$shared/ndpi_sip.pcap"
run check-site-twice 2 '--site is given twice' -- "$bin" check --site "$site" --site "$tmp/bad-site.ini"
run check-matrix-twice 2 '--matrix is given twice' -- "$bin" check --site "$site" --matrix "$m" --matrix "$m"
run report-db-twice 2 '--db is given twice' -- "$bin" report --db "$tmp/x1.db" --db "$tmp/x2.db"
run report-top-twice 2 '--top is given twice' -- "$bin" report --db "$tmp/x1.db" --top 1 --top 2
run rules-matrix-twice 2 '--matrix is given twice' -- "$bin" rules --matrix "$m" --matrix "$m"
for c in read report rules check; do
  "$bin" $c --help | grep -q 'Exit codes\?:' && ok "help-exit-codes-$c" || bad "help-exit-codes-$c" "no exit codes in --help"
done

# rules: every row lines up (several roles on a side, the document's
# Chinese counted as two columns each), and the original note is shown.
# CJK and full-width forms (3-byte UTF-8 led by e3-e9, ef bc/bd) are two
# columns, other multibyte characters one.
"$bin" rules > "$tmp/rules.txt"
cols=$(LC_ALL=C sed 's/[\xe3-\xe9][\x80-\xbf][\x80-\xbf]/@@/g; s/\xef[\xbc\xbd][\x80-\xbf]/@@/g; s/[\xe0-\xef][\x80-\xbf][\x80-\xbf]/@/g; s/[\xc2-\xdf][\x80-\xbf]/@/g' "$tmp/rules.txt" \
  | LC_ALL=C awk '/^ID /{h=index($0, "ACCEPTED PROTOCOLS"); s=index($0, "SOURCE ->"); next}
      /^[a-z]+-[0-9]+ /{match($0, / [^ ]+$/); p=RSTART+1; q=index($0, " -> "); while (substr($0, q, 1) != " " || substr($0, q-1, 1) != " ") q--; if (p != h || q+1 != s) print $1, p, h, q+1, s}')
[ -z "$cols" ] && ok rules-aligned || bad rules-aligned "misaligned rows: $cols"
grep -q '^ *original: 透過 TCP 的 DNS 查詢$' "$tmp/rules.txt" && ok rules-original-note || bad rules-original-note "no original note"
grep -q '^int-05 .*front_end,branch_appliance -> edge_internal  ' "$tmp/rules.txt" && ok rules-several-roles \
  || bad rules-several-roles "int-05 row"

# Progress on a terminal (a pty from script(1)): bytes of the total,
# share, elapsed and time left. The capture has 2^17 identical UDP
# records, so the progress hook (every 65536 packets) runs.
if command -v script >/dev/null; then
  { printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0'; } > "$tmp/many.pcap"
  { printf '\x00\x5e\x10\x00\x00\x00\x00\x00\x3c\x00\x00\x00\x3c\x00\x00\x00'
    printf '\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00'
    printf '\x45\0\0\x2e\0\x01\0\0\x40\x11\0\0\x0a\0\0\x01\x0a\0\0\x02'
    printf '\x04\xd2\x16\x2e\0\x1a\0\0'; head -c 18 /dev/zero; } > "$tmp/rec"
  for _ in $(seq 17); do cat "$tmp/rec" "$tmp/rec" > "$tmp/rec2"; mv "$tmp/rec2" "$tmp/rec"; done
  cat "$tmp/rec" >> "$tmp/many.pcap"; rm -f "$tmp/rec"
  script -qec "$bin read --site $site --db $tmp/p.db --external $tmp/many.pcap" /dev/null > "$tmp/pty.out" 2>&1
  grep -aqE '[0-9.]+ MiB of 9\.[0-9] MiB \([0-9]+%\), [0-9]+ packets, [0-9]+ flows finished, [0-9]+:[0-9]{2} elapsed, ([0-9:]+|--) left' "$tmp/pty.out" \
    && ok progress-on-terminal || bad progress-on-terminal "$(tr '\r' '\n' < "$tmp/pty.out" | head -3)"
  "$bin" read --site "$site" --db "$tmp/p2.db" --external "$tmp/many.pcap" > "$tmp/out" 2>"$tmp/err"
  [ ! -s "$tmp/err" ] && ok progress-not-on-pipe || bad progress-not-on-pipe "stderr not empty"
  # A stream's size is unknown until it ends, so beside a file there is
  # no total: bytes, packets, flows and elapsed time, never "9 MiB of 1 KiB (100%)".
  script -qec "cat $tmp/many.pcap | $bin read --site $site --db $tmp/p3.db --external - --external $shared/ndpi_sip.pcap" /dev/null > "$tmp/pty.out" 2>&1
  if grep -aqE '[0-9.]+ MiB read, [0-9]+ packets, [0-9]+ flows finished, [0-9]+:[0-9]{2} elapsed' "$tmp/pty.out" \
     && ! grep -aqE ' of [0-9.]+ [KM]iB|%\)' "$tmp/pty.out"; then ok progress-stream-no-total
  else bad progress-stream-no-total "$(tr '\r' '\n' < "$tmp/pty.out" | grep -a MiB | head -2)"; fi
fi

# Reading, then refusing the same capture again, then --force.
db="$tmp/a.db"
run read-ok 0 'Recorded in' -- "$bin" read --site "$site" --db "$db" --external "$shared/ndpi_sip.pcap"
n=$(rows "$db" "select count(*) from flow_verdicts")
[ "$n" -gt 0 ] && ok read-records-flows || bad read-records-flows "no flows in flow_verdicts"
run duplicate-refused 1 'already in' -- "$bin" read --site "$site" --db "$db" --external "$shared/ndpi_sip.pcap"
[ "$(rows "$db" 'select count(*) from runs')" = 1 ] && ok duplicate-writes-nothing || bad duplicate-writes-nothing "a run was added"
run duplicate-force 0 '' -- "$bin" read --quiet --force --site "$site" --db "$db" --external "$shared/ndpi_sip.pcap"
[ "$(rows "$db" 'select count(*) from runs')" = 2 ] && ok force-adds-run || bad force-adds-run "runs != 2"
run same-file-twice 1 'same capture' -- "$bin" read --site "$site" --db "$tmp/b.db" --external "$shared/ndpi_dns.pcap" --internal "$shared/ndpi_dns.pcap"
run report-ok 0 'documented' -- "$bin" report --db "$db"
# Evidence the user may only read: report changes nothing and needs no write access.
mkdir -p "$tmp/ro" && cp "$db" "$tmp/ro/evidence.db" && chmod 755 "$tmp/ro" && chmod 644 "$tmp/ro/evidence.db"
sum_before=$(sha256sum "$tmp/ro/evidence.db" | cut -d' ' -f1)
if command -v runuser >/dev/null && [ "$(id -u)" = 0 ]; then
  # nobody may not be able to enter the checkout (a clone under /root, a
  # mktemp -d folder) nor $TMPDIR: the binary and the evidence go to a
  # folder of their own under /tmp that nobody can read.
  rodir=$(mktemp -d /tmp/edgeaudit-ro.XXXXXX)
  cp "$bin" "$rodir/edgeaudit" && cp "$tmp/ro/evidence.db" "$rodir/evidence.db"
  chmod 755 "$rodir" "$rodir/edgeaudit" && chmod 444 "$rodir/evidence.db"
  run report-read-only 0 'Verdicts' -- runuser -u nobody -- "$rodir/edgeaudit" report --db "$rodir/evidence.db"
  [ "$(sha256sum "$rodir/evidence.db" | cut -d' ' -f1)" = "$sum_before" ] && ok report-read-only-unchanged || bad report-read-only-unchanged "database file changed"
  rm -rf "$rodir"
fi
[ "$(sha256sum "$tmp/ro/evidence.db" | cut -d' ' -f1)" = "$sum_before" ] && ok report-changes-nothing || bad report-changes-nothing "database file changed"
# Captures of one interface are read oldest first, whatever the command line says.
# ndpi_ssh.pcap starts in 2011, ndpi_sip.pcap in 2005.
"$bin" read --quiet --site "$site" --db "$tmp/order.db" --external "$shared/ndpi_ssh.pcap" --external "$shared/ndpi_sip.pcap" 2>/dev/null
[ "$(rows "$tmp/order.db" 'select file_name from inputs order by id' | tr '\n' ' ')" = "ndpi_sip.pcap ndpi_ssh.pcap " ] \
  && ok oldest-capture-first || bad oldest-capture-first "inputs not in time order"
run report-no-db 1 'no such database' -- "$bin" report --db "$tmp/missing.db"
# An inbound ping is named by its ICMP type, not "icmp/0".
"$bin" read --quiet --site "$site" --db "$tmp/lab.db" --external "$top/pcaps/lab-external.pcap" \
  --internal "$top/pcaps/lab-internal.pcap" 2>/dev/null
run report-icmp-by-type 0 '^  external  icmp echo request \(type 8\)  ' -- "$bin" report --db "$tmp/lab.db"
grep -qE 'icmp(v6)?/' "$tmp/out" && bad report-icmp-no-port "an ICMP finding shown by port" || ok report-icmp-no-port

# A broken capture among good ones: reported, recorded with its error, the others kept.
printf 'this is not a capture\n' > "$tmp/broken.pcap"
run broken-capture 1 'broken.pcap' -- "$bin" read --site "$site" --db "$tmp/c.db" --external "$tmp/broken.pcap" --external "$shared/ndpi_http.pcapng"
[ "$(rows "$tmp/c.db" "select count(*) from inputs where error is not null and file_name = 'broken.pcap'")" = 1 ] \
  && ok broken-capture-recorded || bad broken-capture-recorded "no input row with its error"
[ "$(rows "$tmp/c.db" "select count(*) from flow_verdicts")" -gt 0 ] \
  && ok broken-capture-keeps-others || bad broken-capture-keeps-others "no flows from the good capture"
run missing-capture 1 'nope.pcap' -- "$bin" read --site "$site" --db "$tmp/d.db" --external "$tmp/nope.pcap"

# A capture cut inside its last record: a warning, exit 0, its packets kept.
size=$(stat -c %s "$shared/ndpi_http.pcapng")
head -c $((size - 7)) "$shared/ndpi_http.pcapng" > "$tmp/cut.pcapng"
run truncated-capture 0 'ends inside record' -- "$bin" read --site "$site" --db "$tmp/e.db" --external "$tmp/cut.pcapng"
[ "$(rows "$tmp/e.db" "select truncated from inputs")" = 1 ] && ok truncated-recorded || bad truncated-recorded "inputs.truncated != 1"

# Capture files the libpcap reader got wrong (../shared/cases/README.md).
cases="$top/../shared/cases"
# Classic pcap seconds are unsigned: 2106 survives to the report.
run ts-2106 0 '' -- "$bin" read --quiet --site "$site" --db "$tmp/t2106.db" --external "$cases/ts_sec_2106.pcap"
[ "$(rows "$tmp/t2106.db" 'select first_seen from flow_verdicts')" = 2106-01-01T00:00:00.000000Z ] \
  && ok ts-2106-first-seen || bad ts-2106-first-seen "first_seen $(rows "$tmp/t2106.db" 'select first_seen from flow_verdicts')"
# A microsecond field of a second or more: counted, never before the first valid record.
run ts-invalid-usec 0 '' -- "$bin" read --quiet --site "$site" --db "$tmp/tusec.db" --external "$cases/ts_invalid_usec.pcap"
[ "$(rows "$tmp/tusec.db" 'select min(first_seen) from flow_verdicts')" = 2014-12-09T17:16:09.999999Z ] \
  && ok ts-invalid-usec-first-seen || bad ts-invalid-usec-first-seen "first_seen $(rows "$tmp/tusec.db" 'select min(first_seen) from flow_verdicts')"
[ "$(rows "$tmp/tusec.db" "select count from anomalies where reason = 'ts_bad_fraction'")" = 2 ] \
  && ok ts-invalid-usec-anomaly || bad ts-invalid-usec-anomaly "ts_bad_fraction not counted twice"
run ts-invalid-usec-report 0 'timestamp fraction' -- "$bin" report --db "$tmp/tusec.db"
# Frames with no valid time before them are not decoded: a warning naming
# them; a capture with no usable time at all (only Simple Packet Blocks)
# is as lost as an unreadable one: partial, exit 1.
{ printf '\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00\x45\0\0\x2e\0\x01\0\0\x40\x11\0\0\x0a\0\0\x01\x0a\0\0\x02'
  printf '\x04\xd2\x16\x2e\0\x1a\0\0'; head -c 18 /dev/zero; } > "$tmp/frame"
{ printf '\x0a\x0d\x0d\x0a\x1c\0\0\0\x4d\x3c\x2b\x1a\x01\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\x1c\0\0\0'
  printf '\x01\0\0\0\x14\0\0\0\x01\0\0\0\0\0\0\0\x14\0\0\0'
  printf '\x03\0\0\0\x4c\0\0\0\x3c\0\0\0'; cat "$tmp/frame"; printf '\x4c\0\0\0'; } > "$tmp/spb.pcapng"
run spb-only-untimed 1 'no valid time before them' -- "$bin" read --site "$site" --db "$tmp/spb.db" --external "$tmp/spb.pcapng"
case "$(rows "$tmp/spb.db" 'select status from runs')" in partial*) ok spb-only-partial ;; *) bad spb-only-partial "run not partial" ;; esac
{ printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0'
  printf '\0\xf1\x53\x65\x40\x42\x0f\0\x3c\0\0\0\x3c\0\0\0'; cat "$tmp/frame"
  printf '\x01\xf1\x53\x65\0\0\0\0\x3c\0\0\0\x3c\0\0\0'; cat "$tmp/frame"; } > "$tmp/firstbad.pcap"
run first-untimed-warns 0 'warning: .*1 of 2 frames not decoded: no valid time' -- "$bin" read --site "$site" --db "$tmp/fb.db" --external "$tmp/firstbad.pcap"
# A snap length of 64 cuts every SYN's options (14 + 20 + 40 bytes) and
# every segment's timestamp option: ports and flags still make the flows,
# so the lab keeps all its flows and their directions.
editcap -s 64 "$top/pcaps/lab-external.pcap" "$tmp/lab64.pcap"
"$bin" read --quiet --site "$site" --db "$tmp/lab-ext.db" --external "$top/pcaps/lab-external.pcap" >/dev/null 2>&1
run snaplen64 0 '' -- "$bin" read --quiet --site "$site" --db "$tmp/lab64.db" --external "$tmp/lab64.pcap"
q="select initiator_ip, initiator_port, responder_ip, responder_port, transport from flow_verdicts order by 1, 2, 3, 4, 5"
[ "$(rows "$tmp/lab64.db" "$q")" = "$(rows "$tmp/lab-ext.db" "$q")" ] \
  && [ -z "$(rows "$tmp/lab64.db" "select count from anomalies where reason = 'truncated_tcp'")" ] \
  && ok snaplen64-keeps-flows || bad snaplen64-keeps-flows "$(rows "$tmp/lab64.db" 'select count(*) from flows') flows, lab $(rows "$tmp/lab-ext.db" 'select count(*) from flows')"
# pcapng interfaces with different snap lengths: every packet read.
run pcapng-snaplen-differs 0 '' -- "$bin" read --quiet --site "$site" --db "$tmp/snap.db" --external "$cases/pcapng_idb_snaplen_differs.pcapng"
[ "$(rows "$tmp/snap.db" "select group_concat(initiator_ip || ':' || initiator_port || '>' || responder_ip || ':' || responder_port || '/' || packets, ' ')
      from (select * from flow_verdicts where transport = 'udp' order by initiator_ip)")" \
  = "0.0.0.0:68>255.255.255.255:67/2 192.168.0.1:67>192.168.0.10:68/2" ] \
  && ok pcapng-snaplen-differs-flows || bad pcapng-snaplen-differs-flows "not the 2 UDP flows of 2 packets"
[ "$(rows "$tmp/snap.db" 'select packets from inputs')" = 4 ] && ok pcapng-snaplen-differs-packets || bad pcapng-snaplen-differs-packets "packets != 4"
# pcapng interfaces with different link types (Ethernet and raw IP), as mergecap writes them.
mergecap -F pcapng -w "$tmp/mixed.pcapng" "$shared/ndpi_dns.pcap" "$shared/tcpdump_LINKTYPE_RAW_ipv4.pcap"
"$bin" read --quiet --site "$site" --db "$tmp/eth.db" --external "$shared/ndpi_dns.pcap" >/dev/null 2>&1
"$bin" read --quiet --site "$site" --db "$tmp/raw.db" --external "$shared/tcpdump_LINKTYPE_RAW_ipv4.pcap" >/dev/null 2>&1
run pcapng-mixed-linktypes 0 '' -- "$bin" read --quiet --site "$site" --db "$tmp/mixed.db" --external "$tmp/mixed.pcapng"
want=$(( $(rows "$tmp/eth.db" 'select count(*) from flows') + $(rows "$tmp/raw.db" 'select count(*) from flows') ))
[ "$want" -ge 2 ] && [ "$(rows "$tmp/mixed.db" 'select count(*) from flows')" = "$want" ] \
  && [ "$(rows "$tmp/mixed.db" 'select packets from inputs')" = "$(capinfos -Mc "$tmp/mixed.pcapng" | sed -n 's/^Number of packets: *//p')" ] \
  && ok pcapng-mixed-linktypes-flows || bad pcapng-mixed-linktypes-flows "flows of one interface lost"
# A pipe and standard input: read once, hashed while read, no hang.
mkfifo "$tmp/fifo"
( cat "$shared/ndpi_sip.pcap" > "$tmp/fifo" ) &
run fifo-capture 0 'Recorded in' -- timeout 20 "$bin" read --site "$site" --db "$tmp/fifo.db" --external "$tmp/fifo"
wait
[ "$(rows "$tmp/fifo.db" 'select sha256 from inputs')" = "$(sha256sum "$shared/ndpi_sip.pcap" | cut -d' ' -f1)" ] \
  && [ "$(rows "$tmp/fifo.db" 'select count(*) from flows')" = "$(rows "$db" 'select count(*) from flows where run_id = 1')" ] \
  && ok fifo-hashed-and-read || bad fifo-hashed-and-read "sha256 or flows differ from the file's"
# The run row names the data files that judged it by their bytes' hashes.
sums=$(sha256sum "$top/signatures/lync2013-edge.matrix" "$top/signatures/ports.sig" "$site" | cut -d' ' -f1 | tr '\n' ' ')
[ "$(rows "$tmp/fifo.db" "select matrix_sha256 || ' ' || portsig_sha256 || ' ' || site_sha256 || ' ' from runs where id = 1")" = "$sums" ] \
  && ok run-data-file-hashes || bad run-data-file-hashes "the run's data-file hashes are not sha256sum's"
run stdin-capture 0 'already in the database' -- sh -c "timeout 20 '$bin' read --site '$site' --db '$tmp/fifo.db' --internal - < '$shared/ndpi_sip.pcap'"
[ "$(rows "$tmp/fifo.db" "select count(*) from inputs where path = '-' and size = $(stat -c %s "$shared/ndpi_sip.pcap")")" = 1 ] \
  && ok stdin-recorded || bad stdin-recorded "no input row for -"
run stdin-twice 2 'only once' -- "$bin" read --site "$site" --db "$tmp/none2.db" --external - --internal -
run fifo-twice 2 'same stream' -- timeout 20 "$bin" read --site "$site" --db "$tmp/none2.db" --external "$tmp/fifo" --internal "$tmp/fifo"
run read-help-stdin 0 'standard input' -- "$bin" read --help

# Database problems: not a database, locked by another writer.
: > "$tmp/empty.db"
run report-empty-file 1 'empty file, not an edgeaudit database' -- "$bin" report --db "$tmp/empty.db"
printf 'hello\n' > "$tmp/text.db"
run not-a-database 1 'not a SQLite database|not a database' -- "$bin" read --site "$site" --db "$tmp/text.db" --external "$shared/ndpi_sip.pcap"
[ "$(cat "$tmp/text.db")" = hello ] && ok not-a-database-untouched || bad not-a-database-untouched "file changed"
"$bin" read --quiet --site "$site" --db "$tmp/f.db" --external "$shared/ndpi_dns.pcap" >/dev/null 2>&1
# hold_lock DB SQL: another writer runs SQL on DB and keeps its lock for
# 9 s; returns once it really holds it (bounded: 5 s). release_lock ends it.
hold_lock() {
  ( printf '%s\n' "$2"; sleep 9 ) | sqlite3 "$1" >/dev/null 2>&1 &
  lockpid=$!
  for _ in $(seq 50); do
    sqlite3 "$1" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1 || break
    sleep 0.1
  done
}
release_lock() { kill "$lockpid" 2>/dev/null; wait "$lockpid" 2>/dev/null; lockpid=""; }
hold_lock "$tmp/f.db" "BEGIN EXCLUSIVE; INSERT INTO anomalies(run_id, reason, description, count) VALUES (1, 'x', 'x', 1);"
run locked-database 1 'locked' -- "$bin" read --site "$site" --db "$tmp/f.db" --external "$shared/ndpi_sip.pcap"
release_lock
[ "$(rows "$tmp/f.db" 'select count(*) from runs')" = 1 ] && ok locked-keeps-earlier-run || bad locked-keeps-earlier-run "earlier run lost"
# A writer keeping the database past the busy timeout (a run committing a
# large batch): a capture already there is still refused as a duplicate,
# which says more than "locked".
# (A run writes in WAL mode, so the other writer switches to it first.)
hold_lock "$tmp/f.db" "PRAGMA journal_mode = WAL; BEGIN IMMEDIATE; INSERT INTO anomalies(run_id, reason, description, count) VALUES (1, 'y', 'y', 1);"
run busy-duplicate-says-duplicate 1 'ndpi_dns.pcap is already in' -- "$bin" read --site "$site" --db "$tmp/f.db" --external "$shared/ndpi_dns.pcap"
release_lock

# The database fills up mid-run (a file size limit stands in for a full
# disk): exit 1, flows committed so far stay, and the same captures can be
# read again without --force once there is room.
many=()
for f in "$shared"/ndpi_*.pcap; do many+=(--external "$f"); done
( trap '' XFSZ; ulimit -f 300; "$bin" read --quiet --site "$site" --db "$tmp/full.db" "${many[@]}" ) >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -qiE 'I/O error|full' "$tmp/err" && ok full-database-fails || bad full-database-fails "exit $rc"
[ "$(rows "$tmp/full.db" 'select count(*) from flows')" -gt 0 ] && ok full-database-keeps-flows || bad full-database-keeps-flows "no flow kept"
[ "$(rows "$tmp/full.db" "select count(*) from runs where status = 'complete'")" = 0 ] \
  && ok full-database-run-not-complete || bad full-database-run-not-complete "run marked complete"
# (One of them, an nDPI fuzz capture, has a single frame dated before 1970:
# nothing of it can be decoded, so the retried run is partial, exit 1.)
run full-database-retry 1 'c6c72a0a56.pcap: 1 of 1 frames not decoded: no valid time' -- "$bin" read --quiet --site "$site" --db "$tmp/full.db" "${many[@]}"
[ "$(rows "$tmp/full.db" "select status from runs order by id desc limit 1")" = "partial: 1 of $((${#many[@]} / 2)) captures unreadable or undecodable" ] \
  && ok full-database-retry-reads-the-rest || bad full-database-retry-reads-the-rest "$(rows "$tmp/full.db" "select status from runs order by id desc limit 1")"

# Decoder cases from ../shared/cases (their README gives the right values),
# through the binary into the public view: a SYN split over two IPv4
# fragments, SCTP ports and Community ID, frames behind a Cisco VN-Tag.
cases="$top/../shared/cases"
"$bin" read --quiet --site "$site" --db "$tmp/cases.db" --external "$cases/frag_syn_tcp_options.pcap" \
  --internal "$cases/sctp_ports_missing.pcap" --internal "$cases/vntag_frames.pcap" >/dev/null 2>"$tmp/err"
got=$(rows "$tmp/cases.db" "select transport, initiator_ip, initiator_port, responder_ip, responder_port,
  direction_source, packets from flow_verdicts where transport = 'tcp'")
[ "$got" = "tcp|192.168.1.100|12345|10.0.0.5|80|syn|2" ] && ok fragmented-syn || bad fragmented-syn "got '$got'"
got=$(rows "$tmp/cases.db" "select attempt from flow_details where transport = 6")
[ "$got" = 1 ] && ok fragmented-syn-attempt || bad fragmented-syn-attempt "attempt '$got'"
got=$(rows "$tmp/cases.db" "select initiator_port, responder_port, community_id from flow_verdicts where transport = 'sctp'")
[ "$got" = "7|7|1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" ] && ok sctp-ports || bad sctp-ports "got '$got'"
got=$(rows "$tmp/cases.db" "select count(*), sum(packets), sum(bytes) from flow_verdicts where initiator_ip = '1.1.1.1'")
[ "$got" = "1|3|300" ] && ok vntag-flow || bad vntag-flow "got '$got'"

echo "RESULT $pass $fail"
