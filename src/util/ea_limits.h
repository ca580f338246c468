/* ea_limits.h — every bound and default timeout of edgeaudit, each with why.
 * Nothing else in the tree hard-codes a limit. */
#ifndef EA_EA_LIMITS_H
#define EA_EA_LIMITS_H

/* Decoding. */
/* Tags between the MACs and the EtherType, of every kind together
 * (802.1Q/802.1ad/QinQ, VN-Tag, E-Tag): QinQ is 2, a fabric extender's
 * VN-Tag or E-Tag makes 3, a SPAN session may add its own VLAN; more than
 * 8 is a bridging loop or garbage. */
#define EA_MAX_L2_TAGS 8
#define EA_MAX_ENCAP_DEPTH 3      /* ERSPAN/GRE inside ERSPAN/GRE: a SPAN of a SPAN at most */
#define EA_MAX_IPV6_EXT_HEADERS 8 /* RFC 8200 allows any number; real stacks use < 4 */
#define EA_MAX_MPLS_LABELS 8      /* a label stack deeper than this is not a real LSP */

/* Capture files (capfile.c). */
/* libpcap's MAXIMUM_SNAPLEN: no capture tool keeps more of one frame, so
 * a record claiming more is corrupt (libpcap refuses it too). */
#define EA_CAPTURE_MAX_CAPLEN 262144u
/* A pcapng block the reader must hold to parse (section and interface
 * headers, packet blocks) is refused above this size, libpcap's own bound;
 * blocks we do not parse are skipped unread whatever their size. */
#define EA_CAPTURE_MAX_BLOCK (16u * 1024u * 1024u)
/* Interfaces per pcapng section: dumpcap records a few dozen at most; each
 * costs 24 bytes, so a hostile file cannot make the table large. */
#define EA_CAPTURE_MAX_INTERFACES 4096u
/* The latest time edgeaudit stores: 9999-12-31T23:59:59.999999Z, in µs
 * since the epoch. ISO-8601's four-digit year and SQLite's date functions
 * end there; the earliest is the epoch itself (the schema's first_us >= 0).
 * A record outside that range has its time replaced (capfile.c). */
#define EA_MAX_TIME_US 253402300799999999ull

/* Flow table. */
/* Per interface. A flow costs about 180 bytes (160-byte ea_flow, malloc
 * overhead, bucket); one still being classified also holds nDPI's 688-byte
 * state, allocated at its first payload: a million flows mid-detection
 * would take about 870 MB, a million decided ones about 180 MB. */
#define EA_DEFAULT_MAX_FLOWS 1000000u
#define EA_TCP_IDLE_SEC 300           /* SIP/TLS keepalives arrive every 2 min or less */
#define EA_TCP_CLOSED_IDLE_SEC 10     /* after FIN/RST only stragglers remain */
#define EA_UDP_IDLE_SEC 60            /* RTP gaps beyond a minute mean a new call */
#define EA_OTHER_IDLE_SEC 60          /* ICMP, ESP, GRE: same as UDP */
#define EA_EXPIRY_SCAN_SEC 1          /* how often (packet time) idle flows are swept */

/* IP fragment reassembly (frag.h), per interface. Datagrams are rebuilt
 * whole, so nDPI and the payload checks see a complete first payload. */
#define EA_FRAGMENT_TIMEOUT_SEC 30    /* from the first fragment, as Linux's ipfrag_time
                                         (RFC 791 suggests 15 s; be generous) */
#define EA_FRAG_MAX_DATAGRAMS 1024u   /* in progress at once: an Edge fragments little (large
                                         DNS, Kerberos, some media); a flood gives up the oldest */
#define EA_FRAG_MAX_BYTES (4u << 20)  /* held in all: Linux's ipfrag_high_thresh; 64 datagrams of
                                         the IP maximum, thousands of ordinary ones */
#define EA_FRAG_MAX_DATAGRAM 65535u   /* bytes of one datagram: what the IP length fields allow;
                                         a fragment beyond it is invalid (ping of death) */
#define EA_FRAG_MAX_FRAGMENTS 1024u   /* frames one datagram may take, duplicates included:
                                         64 KiB in 64-byte fragments */
#define EA_FRAG_MAX_PIECES 16         /* disjoint runs of data held while fragments arrive out
                                         of order; fragments usually come in order or reversed */

/* Classification. */
#define EA_DPI_PACKET_BUDGET 32    /* nDPI decides most protocols in < 10 packets */
#define EA_SERVER_NAME_MAX 255     /* a DNS name is at most 253 characters */
/* The copy of a snap-length-cut packet that nDPI is shown (classify.c):
 * an IPv4 total length or IPv6 payload length is 16 bits, so a cut
 * packet's captured prefix is never longer. */
#define EA_DPI_VIEW_MAX 65535u

/* Data files. */
#define EA_MAX_RULES 256           /* the Lync matrix has 37 rows */
#define EA_MAX_ROLES 64
#define EA_MAX_PREFIXES_PER_ROLE 256
/* The site file's [nat] section: the NAT device's inside addresses (a
 * firewall pair or cluster has a few) and the 1:1 mappings of the Edge's
 * private addresses (three per Edge server; a pool of Edges behind one
 * NAT has a few servers). One list line (EA_MAX_LINE) holds about 130
 * mappings anyway. */
#define EA_MAX_NAT_INSIDE 16
#define EA_MAX_NAT_MAPS 64
/* Pairing the two sides of the NAT after a read (engine/natpair.h): the
 * most flows of a run it holds in memory (about 100 bytes each: 100 MB at
 * the cap). A run with more is paired on its first this many flows, and
 * the report says so. */
#define EA_NAT_PAIR_MAX_FLOWS 1000000u
/* Public Edge addresses tried per flow when pairing the NAT's two sides:
 * each costs one Community ID (a SHA-1) per flow of an Edge private
 * address; a site names a few (three per Edge server). More are ignored. */
#define EA_NAT_PAIR_MAX_CANDIDATES 256
/* Examples of each NAT finding group the report prints (README). */
#define EA_NAT_REPORT_EXAMPLES 3
#define EA_MAX_PORT_SIGNATURES 1024
#define EA_MAX_PROTOCOLS_PER_ENTRY 16
#define EA_MAX_LINE 4096           /* a longer line in a data file is an error */
#define EA_MAX_CONFIG_ERRORS 50    /* report this many, then stop listing */
/* The ids of the local deny rules a flow fits, as the matcher writes them
 * into the result (match.h), which travels through the writer's queue
 * (65,536 of them for a sensor) without the matrix: room for three
 * "local-NN"; more are cut with "..." (the flow's rule ids list them all). */
#define EA_DENIED_IDS_MAX 40
/* A verdict's policy reason as text (ea_match_reason): "not-applicable: "
 * and every feature name (~130 bytes), or "denied: " and those ids. */
#define EA_REASON_TEXT_MAX 192
/* A data file is read into memory whole (ruleset.c), so that it is hashed
 * from the very bytes that were parsed. The shipped matrix is 22 KB; a
 * matrix at EA_MAX_RULES rows of ~600 bytes is ~150 KB, a site file
 * setting every role on one longest line 256 KiB. 16 MiB leaves room for
 * comments, and a larger "data file" is a mistake (a capture given as
 * --site) to refuse at once rather than parse. */
#define EA_MAX_DATA_FILE_BYTES (16u << 20)

/* Inputs. */
#define EA_MAX_UNSUPPORTED_LINKTYPES 4 /* named per capture in warnings: a pcapng has one
                                          link type per interface, rarely more than two */

/* SPAN duplicate suppression (capture/dedup.h), per interface. */
/* The longest gap between two copies of one frame that still counts as
 * mirroring. Measured (README, "SPAN duplicates"): on a software mirror
 * the copies came 2 µs apart (median), 27 µs at the 99.9th percentile,
 * none later than 50 µs; a hardware switch adds store-and-forward (12 µs
 * for a full frame at 1 Gb/s) and egress queueing (1 ms is 125 KB queued
 * at 1 Gb/s). The shortest legitimate repeat of an identical IP frame in
 * the shared and lab captures came 510 µs later (a TCP RST pair), the
 * next ones from 2.9 ms (retransmissions without IP id or timestamps);
 * one duplicate ACK sent twice in the same µs cannot be told apart at
 * any window. */
#define EA_DEDUP_WINDOW_US 1000u
/* Frames remembered: a 1 ms window at 1 Gb/s of minimum-size frames is
 * 1,488 frames; 4096 leaves room for bursts and 2.5 Gb/s. A power of two
 * (the ring index is a mask). */
#define EA_DEDUP_MAX_FRAMES 4096u
/* Bytes of those frames kept for the full comparison: 1 ms at 1 Gb/s
 * (the Edge's NICs) is 125 KB, so 1 MiB holds the window up to 8 Gb/s;
 * it is written once per frame, and a small arena stays in the CPU's
 * cache (measured: 4 MiB cost 4 MiB of resident memory and a tenth more
 * time per frame in `make bench`). The oldest frame gives way when
 * either bound is reached. */
#define EA_DEDUP_MAX_BYTES (1u << 20)
/* Bytes of a frame (after the outer tag is set aside) that the hash
 * reads: the L2, IP and transport headers, where frames of one flow
 * differ (IP id and checksum, ports, sequence numbers, UDP and TCP
 * checksums that depend on every payload byte). Bounding it keeps the
 * cost per frame flat for large frames; a multiple of 16 (two lanes). */
#define EA_DEDUP_HASH_BYTES 64u
/* Candidates compared per frame at most: identical frames repeated often
 * (ARP, STP hellos) share a bucket chain; beyond this many the frame is
 * kept, so hostile traffic can cost no more than this and is never lost. */
#define EA_DEDUP_MAX_PROBES 16u

/* Live capture (source_pcap.c). */
#define EA_LIVE_SNAPLEN 262144u     /* whole frames: libpcap's MAXIMUM_SNAPLEN, and
				       EA_CAPTURE_MAX_CAPLEN, so a live frame reads as a file's */
/* The kernel ring must absorb a burst at line rate while the capture loop
 * is not reading (a SQLite checkpoint, a page fault storm, the scheduler
 * on 2 busy cores): 1 Gb/s is 125 MB/s, and a 0.25 s stall at line rate
 * is ~31 MB of frames; TPACKET_V3 adds ~48 bytes of header per frame,
 * which at minimum-size frames (84 bytes on the wire) doubles that.
 * 64 MiB covers 0.25 s of the worst case and 0.5 s of full-size frames;
 * tcpdump's 2 MiB default covers 16 ms. */
#define EA_LIVE_BUFFER_MIB 64u
#define EA_LIVE_BUFFER_MIB_MAX 1024u /* pcap_set_buffer_size takes an int of bytes (< 2 GiB);
					and it is locked kernel memory, per interface */
/* ea_source_next's wait when the wire is quiet: the engine's clock tick
 * runs at least this often, far finer than the shortest idle timeout
 * (seconds), and a stop request is seen within it. */
#define EA_LIVE_TIMEOUT_MS 100
#define EA_LIVE_TIMEOUT_MS_MAX 60000 /* a longer quiet wait would starve the clock tick */
/* After SIGTERM/SIGINT the capture is read this much longer (ms) before
 * the flows are ended: the kernel hands a partly filled TPACKET_V3 block
 * over only when its timer (the capture timeout, EA_LIVE_TIMEOUT_MS)
 * retires it, so frames it had already received and counted were lost
 * when a stop came within that time of them (seen: 33 of 692 frames in
 * tests/system/debian12.sh; 20-32 of 351 in monitor.sh's
 * stop-reads-the-last-block). Two timeouts cover one retirement. */
#define EA_LIVE_STOP_DRAIN_MS (2 * EA_LIVE_TIMEOUT_MS)
/* A lost interface (deleted, set down, unplugged) is tried again this
 * often: each try is one pcap_create/activate, cheap, and an interface
 * that comes back is captured again within seconds. */
#define EA_LIVE_RETRY_MS 2000
/* Frames taken from one interface before the poll loop turns to the
 * other (livepoll.c): at 1 Gb/s of full-size frames (~81 kpps) 256 frames
 * are ~3 ms, so neither NIC's ring waits long while the other bursts, and
 * the batch amortises the poll(2) call. */
#define EA_LIVE_BURST_FRAMES 256
#define EA_FILTER_MAX_LINKTYPES 8    /* compiled programs kept per file filter: a pcapng
					has one link type per interface, rarely more than two */

/* Storage. */
#define EA_DB_BATCH_ROWS 20000     /* rows per transaction: large enough to amortise fsync */
#define EA_DB_BUSY_TIMEOUT_MS 5000 /* wait for another writer before reporting a lock */
#define EA_DB_CACHE_KIB 65536       /* page cache: report queries over a million flows stay in RAM */
#define EA_RETAIN_BATCH_FLOWS 2000u /* flows deleted per transaction by retention: a few
				       ms of write lock, so a sensor's writer queue never
				       waits long behind it */
#define EA_RETAIN_DAYS_MAX 36500u   /* a hundred years: beyond it, keep everything */
#define EA_DB_WRITE_CACHE_KIB 2048  /* while a run writes: rows are appended, never re-read;
                                       measured: 1 MiB writes as fast as 64 MiB */
/* --active-timeout: a day at most; a flow updated less often than that
 * is as good as written only at its end. Monitor's default is a minute:
 * flow_verdicts then shows a live flow's counts a minute old at worst. */
#define EA_ACTIVE_TIMEOUT_MAX_SEC 86400ul
#define EA_ACTIVE_TIMEOUT_DEFAULT_SEC 60u
/* monitor: losses (libpcap's and the sensor's own) are recorded per
 * interface this often (and at stop), so a report dates a gap to the
 * minute; a row per interface a minute is ~1 MB a year. --stats-interval
 * sets it (tests use 1 s). */
#define EA_CAPTURE_STATS_SEC 60u
#define EA_CAPTURE_STATS_SEC_MAX 3600u
/* monitor --retain-days: retention runs at start and this often; a day's
 * flows are rolled up once the day is past, so hourly is prompt enough. */
#define EA_RETAIN_INTERVAL_SEC 3600u

/* The writer thread's queue (store/writer.h): a record with its verdict is
 * ~1.9 KB. A file's reader waits for room, so a small queue only needs to
 * keep the thread busy; a sensor's must hold what ends while the database
 * cannot be written: 65536 records (~120 MiB) are a minute at 1,000 flows/s,
 * far above a busy Edge's rate of finished flows. */
#define EA_WRITER_QUEUE_RECORDS 1024u
#define EA_WRITER_LIVE_QUEUE_RECORDS 65536u
/* A store call queued to the writer (writer.h ea_writer_call) copies its
 * argument into a queue slot: a capture-stats row or an interface event
 * with its name and reason fits; no bigger than a flow record, so jobs
 * cost the queue no memory. */
#define EA_WRITER_JOB_BYTES 1024u
#define EA_WRITER_WAKE_RECORDS 512u  /* a batch that wakes the thread: fewer wake-ups than flows */
#define EA_WRITER_FLUSH_US 1000000ull /* a transaction's longest life: a report sees flows within 1 s */
#define EA_WRITER_RETRY_MIN_US 100000ull   /* first back-off after a failed write */
#define EA_WRITER_RETRY_MAX_US 5000000ull  /* longest back-off: a freed database is used within 5 s */
#define EA_WRITER_CLOSE_WAIT_US 30000000ull /* at stop, retry an unwritable database this long:
                                       within systemd's default 90 s stop timeout
                                       (monitor --stop-timeout's default) */
#define EA_STOP_TIMEOUT_MAX_SEC 3600ul /* --stop-timeout's bound: a stop that waits longer
                                          than an hour is a hang; the unit's TimeoutStopSec
                                          must exceed whatever is given */

/* Logging. */
#define EA_LOG_KEYS 128            /* rate-limited keys tracked at once: finding groups and
                                      fault kinds; the least recently used gives way */
#define EA_LOG_KEY_MAX 64          /* bytes of a key compared ("unexpected udp/6081 external") */
#define EA_LOG_LINE_MAX 2048       /* one message, before escaping; longer ones are cut */
#define EA_LOG_DEFAULT_BURST 5     /* a fault seen again after this is known; more adds nothing */
#define EA_LOG_DEFAULT_INTERVAL_US (60ull * 1000000ull) /* a minute: a SIEM sees a repeating
                                      fault once a minute with its count */

/* Privileges (privdrop.c). */
#define EA_DEFAULT_USER "edgeaudit" /* the sensor's own system user (make install creates it):
				       nobody is shared with other daemons, which could then
				       signal or trace the sensor and read its database */
#define EA_FALLBACK_USER "nobody"   /* when edgeaudit was never installed: every Debian system
				       has it, and it owns no file */

/* Findings to syslog (report/syslog5424.h). */
#define EA_SYSLOG_MSG_MAX 2048          /* bytes of one message, header included: RFC 5426
					   §3.2 says receivers should take 2048 over UDP; a
					   finding line is a few hundred */
#define EA_SYSLOG_CONNECT_TIMEOUT_MS 1000 /* a TCP collector on the LAN answers in
					   milliseconds; longer would stall a read */
#define EA_SYSLOG_SEND_TIMEOUT_MS 200   /* a collector that cannot take one line in this
					   long is stalled: drop the connection, count */
#define EA_SYSLOG_RETRY_MIN_MS 1000     /* first reconnect after a failure ... */
#define EA_SYSLOG_RETRY_MAX_MS 60000    /* ... doubling up to a minute, so a dead collector
					   costs one bounded connect a minute */
/* monitor's output queue (report/outputs.h, async): flow records (~1.9 KB
 * each) waiting for the EVE and syslog thread. 8192 (~16 MiB) hold a
 * minute of a dead TCP collector's reconnects (one connect of
 * EA_SYSLOG_CONNECT_TIMEOUT_MS per back-off, the lines between counted
 * unsent at once) at over 100 flow records a second; what finds it full
 * is dropped and counted (capture_stats.output_dropped), capture never
 * waits. */
#define EA_OUTPUT_QUEUE_RECORDS 8192u
#define EA_SYSLOG_DEFAULT_PORT "514"    /* RFC 5426's UDP port; TCP collectors (rsyslog
					   imtcp) listen there by common practice */
#define EA_FINDINGS_BURST 10            /* finding lines per group in each window: a scan
					   of one port still shows its first peers */
#define EA_FINDINGS_INTERVAL_US (60ull * 1000000ull) /* then a minute's count per group */
#define EA_FINDINGS_OVERALL_BURST 300   /* finding lines a minute, all groups: a port scan
					   (one group per port) sends 300 lines and a count,
					   not 65,535; a real incident's groups fit */

#define EA_EVIDENCE_MAX_FLOWS 10000  /* flows one `evidence` extracts: each frame is
					   compared with every flow chosen, so more is slow;
					   a verdict's flows beyond it are narrowed with
					   --run, --since/--until or --group */
#define EA_EVIDENCE_MAX_IDS 1000     /* --flow options: ids a person types or pastes */
#define EA_EVIDENCE_SNAPLEN 262144u  /* the output's header snap length when no frame is
					   longer: libpcap's MAXIMUM_SNAPLEN. Each record
					   keeps its own captured and wire lengths, so a
					   frame cut by the original snap length shows so */
#define EA_EVIDENCE_LIST_FLOWS 20    /* flows named one per line in the summary */

#endif
