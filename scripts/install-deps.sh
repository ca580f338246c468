#!/usr/bin/env bash
# Installs what edgeaudit needs to build and test on Debian 12.
# Safe to run again: only missing packages are installed.
set -euo pipefail

# wireshark-common: the tests cut a lab capture to a snap length (editcap),
# write a multi-interface pcapng, dumpcap's own format (mergecap), and count
# its packets (capinfos).
# libcap-dev: the sensor gives up its capabilities after opening the
# interfaces (src/cli/privdrop.c). groff-base: the test of the manual page
# renders it with every warning on (tests/e2e/manpage.sh). systemd: its
# systemd-analyze verifies the installed unit (tests/e2e/install.sh); a
# container image lacks it.
# libjansson-dev: the EVE JSON writer (src/report/eve.c). jq: the EVE test
# parses every line. rsyslog and iproute2: the findings test runs a real
# rsyslogd in a network namespace of its own and sends to it over UDP and TCP.
# tcpreplay: the monitor test replays the lab captures onto veth pairs in a
# network namespace of its own (tests/e2e/monitor.sh). socat: the live
# test holds a long TCP session between two namespaces (tests/e2e/live.sh).
build_pkgs=(build-essential pkg-config libpcap-dev libndpi-dev libsqlite3-dev
            libcmocka-dev libssl-dev sqlite3 wireshark-common libcap-dev groff-base
            systemd libjansson-dev jq rsyslog iproute2 tcpreplay socat)
# tcpdump: read --filter is checked against tcpdump -r FILE -w - EXPR.
build_pkgs+=(tcpdump)
# tshark: the evidence test compares the frames `evidence` writes for a
# flow with tshark's conversation filter (tests/e2e/evidence.sh).
build_pkgs+=(tshark)
# debootstrap and systemd-container: make check-system makes a fresh Debian
# 12 and boots it with systemd-nspawn to run the installed unit
# (tests/system/debian12.sh).
build_pkgs+=(debootstrap systemd-container)
# libfuse3-dev: the test of a database whose file system turns read-only
# under monitor mounts a pass-through FUSE file system that can refuse
# writes on demand (tests/tools/rofs.c, tests/e2e/unwritable.sh): Linux
# will not remount read-only while SQLite holds the database open.
build_pkgs+=(libfuse3-dev)
# The sanitizer build wants clang's runtime only when CC=clang; gcc's
# libasan/libubsan come with build-essential.
extra_pkgs=()
case "${1:-}" in
  --bench) extra_pkgs=(libndpi-bin tcpdump time) ;;
  --lab)   extra_pkgs=(tcpdump iproute2 iptables openssl sip-tester coturn prosody
                       dnsmasq nginx-light openssh-client netcat-openbsd libndpi-bin
                       dropbear-bin stunnel4 socat curl bind9-dnsutils iputils-ping
                       smbclient nmap ethtool tcpreplay tshark python3
                       gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good) ;;
  "") ;;
  *) echo "usage: $0 [--bench|--lab]" >&2; exit 2 ;;
esac

missing=()
for p in "${build_pkgs[@]}" "${extra_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
# wireshark-common asks whether non-root users may capture (a setuid
# dumpcap); answer no beforehand, so the install never waits for a person.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
