# tests/e2e/lib/netns.sh — the frame of an e2e script that runs monitor in
# a network namespace of its own (monitor.sh, dbowner.sh, outstall.sh):
# sourced, not run. Call e2e_frame NAME NSPREFIX after setting bin and
# top. It sets tmp (a temporary folder), ns (NSPREFIX + pid), id (for
# interface names unique to the run; IFNAMSIZ allows 15 characters),
# started (pids the cleanup kills), pass and fail, and defines ok and bad
# ("ok NAME/check", "FAIL NAME/check: why" with the tail of a stderr
# file). The cleanup, on any exit, kills what started holds, deletes the
# namespace and removes tmp. The namespace itself is made by e2e_netns.

e2e_frame() {
  e2e_name=$1
  tmp=$(mktemp -d)
  ns=$2$$
  id=$(( $$ % 100000 ))
  started=()
  pass=0 fail=0
  trap e2e_cleanup EXIT
}
e2e_cleanup() {
  local p
  for p in "${started[@]}"; do kill -9 "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
ok() { echo "ok $e2e_name/$1"; pass=$((pass + 1)); }
bad() {
  echo "FAIL $e2e_name/$1: $2"
  [ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/  stderr: /' "$3" | tail -8
  fail=$((fail + 1))
}
# Makes the namespace, or says why the script is skipped and exits 0
# (not root, or no network namespaces where it runs).
e2e_netns() {
  if [ "$(id -u)" -ne 0 ] || ! ip netns add "$ns" 2>/dev/null; then
    echo "ok $e2e_name/skipped: not root or no network namespaces"
    echo "RESULT $pass $fail"; exit 0
  fi
}
