#!/usr/bin/env bash
# The SIEM outputs of `read`: --eve FILE gives one JSON line per flow of
# flow_verdicts with the same verdicts, rule ids and counts (every line
# parsed by jq), event.kind "alert" exactly for the findings; --syslog
# stderr gives one RFC 5424 line per finding, and the rate limit holds a
# group back with its count. Also the options' usage errors.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok eve/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL eve/$1: $2"; fail=$((fail + 1)); }

if ! command -v jq >/dev/null; then
  bad jq "jq is missing: run scripts/install-deps.sh"
  echo "RESULT $pass $fail"; exit 0
fi
site=$top/pcaps/site.ini
ext=$top/pcaps/lab-external.pcap
int=$top/pcaps/lab-internal.pcap

# ---- the lab: EVE lines and finding lines ---------------------------------
"$bin" read --quiet --site "$site" --db "$tmp/lab.db" --external "$ext" --internal "$int" \
  --eve "$tmp/eve.json" --syslog stderr 2>"$tmp/syslog.txt"
rc=$?
[ $rc = 0 ] && ok lab-exit-0 || bad lab-exit-0 "exit $rc"

flows=$(sqlite3 "$tmp/lab.db" "select count(*) from flow_verdicts")
lines=$(wc -l < "$tmp/eve.json")
[ "$flows" -gt 0 ] && [ "$lines" = "$flows" ] && ok one-line-per-flow \
  || bad one-line-per-flow "$lines EVE lines for $flows flows"
# Every line on its own is a JSON object (jq -R reads lines as text).
if jq -R -e 'fromjson | type == "object"' "$tmp/eve.json" >"$tmp/types" 2>"$tmp/jq.err" \
   && ! grep -qv '^true$' "$tmp/types"; then
  ok every-line-parses
else
  bad every-line-parses "$(head -2 "$tmp/jq.err")"
fi

# The same flows with the same verdicts, rule ids, counts and times.
sqlite3 -separator '|' "$tmp/lab.db" "select iface, transport, initiator_ip, responder_ip, verdict, rule_ids,
  community_id, packets, bytes, first_seen, last_seen from flow_verdicts" | sort > "$tmp/db.txt"
jq -r '[.observer.ingress.interface.name, .network.transport, .source.ip, .destination.ip,
        .edgeaudit.verdict, ((.rule.id // []) | join(",")), .network.community_id, .network.packets,
        .network.bytes, .event.start, .event.end] | map(tostring) | join("|")' "$tmp/eve.json" | sort > "$tmp/eve.txt"
if [ -s "$tmp/db.txt" ] && cmp -s "$tmp/db.txt" "$tmp/eve.txt"; then
  ok same-flows-and-verdicts
else
  bad same-flows-and-verdicts "flow_verdicts and EVE differ:"; diff "$tmp/db.txt" "$tmp/eve.txt" | head -6 | sed 's/^/  /'
fi
# A documented flow's ports are in ECS's place, its rule ids in rule.id.
n=$(jq -r 'select(.edgeaudit.verdict == "documented" and .source.port > 0 and .destination.port > 0
              and (.rule.id | length) > 0 and .timestamp == .event.end) | 1' "$tmp/eve.json" | wc -l)
[ "$n" -gt 0 ] && ok documented-fields || bad documented-fields "no documented line with ports and rule.id"

# Findings: the report's (unexpected, mismatch, wrong-direction, and
# unanswered attempts on documented rows), one syslog line each.
finding_sql="select community_id || ' ' || case when verdict in ('unexpected', 'mismatch', 'wrong-direction')
  then verdict else 'attempt' end from flow_details
  where verdict in ('unexpected', 'mismatch', 'wrong-direction')
     or (attempt and verdict in ('documented', 'documented-port-only'))"
sqlite3 "$tmp/lab.db" "$finding_sql" | sort > "$tmp/db-findings.txt"
nf=$(wc -l < "$tmp/db-findings.txt")
sed -n 's/^<[0-9]*>1 [^ ]* [^ ]* edgeaudit [0-9]* \([a-z-]*\) - .* network\.community_id=\([^ ]*\).*$/\2 \1/p' \
  "$tmp/syslog.txt" | sort > "$tmp/log-findings.txt"
[ "$nf" -gt 0 ] && cmp -s "$tmp/db-findings.txt" "$tmp/log-findings.txt" && ok every-finding-logged \
  || { bad every-finding-logged "$nf findings in the database, $(wc -l < "$tmp/log-findings.txt") logged"
       diff "$tmp/db-findings.txt" "$tmp/log-findings.txt" | head -4 | sed 's/^/  /'; }
# Each line is RFC 5424: local0.warning (132), version 1, a UTC time with
# microseconds, our app name, a MSGID, no structured data.
re='^<132>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z [!-~]+ edgeaudit [0-9]+ (unexpected|mismatch|wrong-direction) - finding=[a-z-]+ verdict='
[ "$(grep -cE "$re" "$tmp/syslog.txt")" = "$nf" ] && [ "$(wc -l < "$tmp/syslog.txt")" = "$nf" ] \
  && ok rfc5424-lines || bad rfc5424-lines "$(grep -vE "$re" "$tmp/syslog.txt" | head -2)"
alerts=$(jq -r 'select(.event.kind == "alert") | .network.community_id + " " + .edgeaudit.finding' "$tmp/eve.json" | sort)
[ "$alerts" = "$(cat "$tmp/db-findings.txt")" ] && [ "$(jq -r 'select(.event.kind == "event")' "$tmp/eve.json" \
  | jq -s length)" = $((flows - nf)) ] && ok alert-exactly-for-findings \
  || bad alert-exactly-for-findings "event.kind alert does not match the findings"

# --eve appends: a second run adds its lines after the first run's.
"$bin" read --quiet --force --site "$site" --db "$tmp/lab.db" --external "$ext" --eve "$tmp/eve.json" 2>/dev/null
ext_flows=$(sqlite3 "$tmp/lab.db" "select count(*) from flow_verdicts where run_id = 2")
[ "$(wc -l < "$tmp/eve.json")" = $((flows + ext_flows)) ] && ok eve-appends \
  || bad eve-appends "$(wc -l < "$tmp/eve.json") lines after appending $ext_flows to $flows"

# ---- the rate limit: 30 refused SYNs to a documented row ------------------
# mkflows: SYNs to 203.0.113.10:443 (the Access Edge's documented TLS
# port), each refused by RST: 30 unanswered attempts of one row, one group.
if [ -n "${EA_MKFLOWS:-}" ] && "$EA_MKFLOWS" 30 "$tmp/syn.pcap"; then
  "$bin" read --quiet --site "$site" --db "$tmp/syn.db" --external "$tmp/syn.pcap" --eve "$tmp/syn.json" \
    --syslog stderr --syslog-facility daemon 2>"$tmp/syn.txt"
  attempts=$(sqlite3 "$tmp/syn.db" "select count(*) from flow_details where attempt and verdict like 'documented%'")
  row=$(sqlite3 "$tmp/syn.db" "select rule_ids from flow_verdicts limit 1"); row=${row%%,*}
  logged=$(grep -c '^<29>1 .* edgeaudit [0-9]* attempt - finding=attempt ' "$tmp/syn.txt")
  held=$(sed -n "s/^<29>1 .* suppressed - finding_group=\"attempt $row\" suppressed=\([0-9]*\) interval_s=60\$/\1/p" "$tmp/syn.txt")
  [ "$attempts" = 30 ] && [ "$logged" = 10 ] && [ "$held" = 20 ] && ok rate-limit-counts-what-it-holds \
    || bad rate-limit-counts-what-it-holds "$attempts attempts: $logged logged (daemon.notice), '$held' held back"
  [ "$(jq -r 'select(.event.kind == "alert" and .edgeaudit.finding == "attempt" and .flow.state == "REJ") | 1' \
        "$tmp/syn.json" | wc -l)" = 30 ] && ok eve-is-not-rate-limited \
    || bad eve-is-not-rate-limited "not 30 attempt alerts in EVE"
else
  bad mkflows "EA_MKFLOWS is not set or failed (run through make e2e)"
fi

# ---- usage -------------------------------------------------------------------
expect_usage() { # name, expected text, args...
  local name=$1 text=$2; shift 2
  "$bin" read --quiet --site "$site" --db "$tmp/usage.db" --external "$ext" "$@" 2>"$tmp/usage.err"
  local rc=$?
  [ $rc = 2 ] && grep -q -- "$text" "$tmp/usage.err" && ok "$name" || bad "$name" "exit $rc: $(head -1 "$tmp/usage.err")"
}
expect_usage bad-target "expected stderr, unix:PATH" --syslog syslog.example:514
expect_usage bad-port "port must be a number" --syslog udp:127.0.0.1:99999
expect_usage bad-facility "local0 to local7" --syslog stderr --syslog-facility local9
expect_usage facility-alone "needs --syslog" --syslog-facility local0
expect_usage unresolvable "no-such-host.invalid" --syslog tcp:no-such-host.invalid:514
expect_usage eve-unopenable "No such file" --eve "$tmp/no/such/dir/eve.json"
expect_usage eve-twice "given twice" --eve "$tmp/a.json" --eve "$tmp/b.json"
# An EVE path that is an input would append JSON to the evidence.
cp "$ext" "$tmp/copy.pcap"
"$bin" read --quiet --site "$site" --db "$tmp/usage.db" --external "$tmp/copy.pcap" \
  --eve "$tmp/../$(basename "$tmp")/copy.pcap" 2>"$tmp/usage.err"
rc=$?
[ $rc = 2 ] && grep -q "also given as --external" "$tmp/usage.err" && cmp -s "$ext" "$tmp/copy.pcap" \
  && ok eve-is-a-capture || bad eve-is-a-capture "exit $rc: $(head -1 "$tmp/usage.err")"
expect_usage eve-is-the-db "also given as --db" --eve "$tmp/usage.db"
expect_usage eve-is-the-site "also given as --site" --eve "$site"
[ ! -e "$tmp/usage.db" ] && ok usage-writes-nothing || bad usage-writes-nothing "a usage error created the database"
# A full disk: the EVE copy lost lines, the run says so (exit 1).
"$bin" read --quiet --site "$site" --db "$tmp/full.db" --external "$ext" --eve /dev/full 2>"$tmp/full.err"
rc=$?
[ $rc = 1 ] && grep -q "EVE lines could not be written: /dev/full: No space left" "$tmp/full.err" \
  && ok eve-disk-full-exit-1 || bad eve-disk-full-exit-1 "exit $rc: $(head -1 "$tmp/full.err")"
# A capture that does not exist: the run fails before anything is
# written, and leaves no EVE file behind (it used to leave an empty one).
"$bin" read --quiet --site "$site" --db "$tmp/missing.db" --external "$tmp/no-such.pcap" \
  --eve "$tmp/missing.json" 2>/dev/null
rc=$?
[ $rc = 1 ] && [ ! -e "$tmp/missing.json" ] && ok missing-capture-no-eve-file \
  || bad missing-capture-no-eve-file "exit $rc; EVE file $( [ -e "$tmp/missing.json" ] && echo left || echo absent)"

echo "RESULT $pass $fail"
