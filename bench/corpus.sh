# bench/corpus.sh — sourced by run.sh and live.sh: builds the bench tools
# against the project's library and makes (or reuses) the synthetic corpus
# and its site file. Expects: top, out, lib, packets, seed, span, ext, die.
# Sets: corpus, site, c_packets, c_flows, c_v6, c_dur, c_active, c_sha,
# stat_of.

# ---- tools, built against the project's library -------------------------
libs=$(pkg-config --libs libpcap libndpi sqlite3 libcrypto)
build_tool() {
	local name=$1
	if [ ! -x "$out/$name" ] || [ "$top/bench/$name.c" -nt "$out/$name" ] || [ "$lib" -nt "$out/$name" ]; then
		# shellcheck disable=SC2086
		cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter -O2 \
		   -I"$top/src" -o "$out/$name" "$top/bench/$name.c" "$lib" $libs
	fi
}
build_tool gencorpus
build_tool peakflows

# ---- corpus ---------------------------------------------------------------
# Real captures whose flows become templates (see the rules in gencorpus.c),
# then the lab's own Edge captures when they exist, in a fixed order.
templates=()
for f in ndpi_443-chrome.pcap ndpi_tls_alert.pcap ndpi_teams.pcap ndpi_http_ipv6.pcap \
	 ndpi_stun.pcap zeek_webrtc-stun.pcap ndpi_rtp.pcapng ndpi_sip.pcap ndpi_dns.pcap \
	 ndpi_http.pcapng ndpi_ocsp.pcapng ndpi_jabber.pcap zeek_xmpp-starttls.pcap \
	 zeek_xmpp-dialback-starttls.pcap ndpi_ssh.pcap ndpi_rdp.pcap ndpi_smbv1.pcap \
	 zeek_smb2readwrite.pcap ndpi_telnet.pcap ndpi_ftp_failed.pcap ndpi_bittorrent_utp.pcap; do
	[ -f "$ext/$f" ] || die "$ext/$f: template capture missing"
	templates+=("$ext/$f")
done
while IFS= read -r f; do templates+=("$f"); done < <(ls "$top"/pcaps/lab-*.pcap 2>/dev/null | sort)

# The corpus is rebuilt only when the generator (its binary: the decoder is
# linked in), a template or a parameter changed.
key=$({ echo "$packets $seed $span"; sha256sum "$out/gencorpus" "${templates[@]}" | cut -d' ' -f1; } | sha256sum | cut -d' ' -f1)
corpus=$out/corpus.pcap
if [ ! -f "$corpus" ] || [ "$(cat "$out/corpus.key" 2>/dev/null)" != "$key" ]; then
	echo "bench: generating the corpus from ${#templates[@]} template captures..." >&2
	rm -f "$out/corpus.key"
	"$out/gencorpus" -s "$seed" -n "$packets" -d "$span" -o "$corpus" "${templates[@]}" > "$out/corpus.stats"
	# A tiny corpus of the same mix: the memory baseline (program, nDPI,
	# SQLite and configuration, next to no flows).
	"$out/gencorpus" -s "$seed" -n 50 -d 1 -o "$out/tiny.pcap" "${templates[@]}" > "$out/tiny.stats"
	echo "$key" > "$out/corpus.key"
fi
stat_of() { sed -n "s/^$2=//p" "$1" | head -1; }
c_packets=$(stat_of "$out/corpus.stats" packets)
c_flows=$(stat_of "$out/corpus.stats" flows)
c_v6=$(stat_of "$out/corpus.stats" ipv6_flows)
c_dur=$(stat_of "$out/corpus.stats" duration_s)
c_active=$(stat_of "$out/corpus.stats" peak_active_flows)
c_sha=$(sha256sum "$corpus" | cut -d' ' -f1)

# ---- site -------------------------------------------------------------------
site=$top/pcaps/site.ini
if [ ! -f "$site" ]; then
	site=$out/site.ini
	cat > "$site" <<-'EOF'
	# Written by bench/run.sh: the Edge's roles as the corpus uses them.
	[roles]
	access_edge = 10.0.1.10, 2001:db8:e::10
	webconf_edge = 10.0.1.11, 2001:db8:e::11
	av_edge = 10.0.1.12, 2001:db8:e::12
	edge_internal = 172.16.0.10
	EOF
fi

