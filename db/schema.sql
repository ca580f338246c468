-- schema.sql — the edgeaudit database.
--
-- Compiled into the program (ea_schema_sql) and applied by ea_store_open.
-- The file is a sequence of sections, each opened by a line
-- "-- version N" (N = 1, 2, ...). A database records the last section it
-- has in PRAGMA user_version; opening it applies, one transaction per
-- section, every section above that. Sections are append-only: once
-- released, a section is never edited, a change is a new section.
--
-- Times inside tables are integer microseconds since the epoch (packet
-- time) or integer seconds (wall clock, runs.started_at/finished_at).
-- The public interface for other tools is the view flow_verdicts.

-- version 1
-- The core tables. application_id marks the file as ours, so a database
-- of some other program is refused instead of being "upgraded".
PRAGMA application_id = 1164198261;

-- One invocation of `edgeaudit read`: what it ran with and what it saw.
CREATE TABLE runs (
	id             INTEGER PRIMARY KEY,
	started_at     INTEGER NOT NULL,
	finished_at    INTEGER,
	status         TEXT NOT NULL DEFAULT 'running',
	tool_version   TEXT NOT NULL,
	ndpi_version   TEXT,
	matrix_path    TEXT,
	matrix_sha256  TEXT,
	portsig_path   TEXT,
	portsig_sha256 TEXT,
	site_path      TEXT,
	site_sha256    TEXT,
	command_line   TEXT,
	packets        INTEGER NOT NULL DEFAULT 0 CHECK (packets >= 0),
	bytes          INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
	flows          INTEGER NOT NULL DEFAULT 0 CHECK (flows >= 0),
	decoded        INTEGER NOT NULL DEFAULT 0 CHECK (decoded >= 0),
	evicted        INTEGER NOT NULL DEFAULT 0 CHECK (evicted >= 0),
	peak_flows     INTEGER NOT NULL DEFAULT 0 CHECK (peak_flows >= 0)
);

-- The capture files a run read.
CREATE TABLE inputs (
	id         INTEGER PRIMARY KEY,
	run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	iface      TEXT NOT NULL CHECK (iface IN ('external', 'internal')),
	path       TEXT NOT NULL,
	file_name  TEXT NOT NULL,               -- basename of path
	sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
	size       INTEGER NOT NULL CHECK (size >= 0),
	packets    INTEGER NOT NULL CHECK (packets >= 0),
	bytes      INTEGER NOT NULL CHECK (bytes >= 0),
	first_seen INTEGER,                     -- microseconds; NULL without packets
	last_seen  INTEGER,
	linktype   INTEGER NOT NULL,
	truncated  INTEGER NOT NULL CHECK (truncated IN (0, 1)),
	error      TEXT                         -- why reading stopped, NULL if it did not
);
-- The duplicate-capture check looks captures up by content.
CREATE INDEX inputs_sha256 ON inputs(sha256);

-- Decoder anomaly counters per run; only the non-zero ones.
CREATE TABLE anomalies (
	run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	reason      TEXT NOT NULL,              -- ea_anomaly_key
	description TEXT NOT NULL,              -- ea_anomaly_text
	count       INTEGER NOT NULL CHECK (count > 0),
	PRIMARY KEY (run_id, reason)
);

-- The matrix rows as loaded for a run, so a report still reads right
-- after the matrix file has changed. ord is the 0-based document order
-- and the index the matcher used.
CREATE TABLE rules (
	run_id           INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	ord              INTEGER NOT NULL CHECK (ord >= 0),
	rule_id          TEXT NOT NULL,
	table_name       TEXT NOT NULL,
	iface            TEXT NOT NULL CHECK (iface IN ('external', 'internal')),
	text             TEXT,
	transport        INTEGER NOT NULL CHECK (transport BETWEEN 0 AND 255),
	port_lo          INTEGER NOT NULL CHECK (port_lo BETWEEN 0 AND 65535),
	port_hi          INTEGER NOT NULL CHECK (port_hi BETWEEN port_lo AND 65535),
	source           TEXT NOT NULL,         -- role names joined by ',', or 'any'
	destination      TEXT NOT NULL,
	source_text      TEXT,                  -- the document's own cells
	destination_text TEXT,
	protocols        TEXT NOT NULL,         -- joined by ','
	note_zh          TEXT,
	note_en          TEXT,
	PRIMARY KEY (run_id, ord),
	UNIQUE (run_id, rule_id)
);

-- One finished flow and its verdict. initiator/responder as decided by
-- direction_source; *_out is initiator → responder, *_in the way back.
-- The vocabulary checks are written as OR chains: SQLite evaluates an IN
-- list of more than two values by building a temporary index on every
-- insert, which made writing flows ten times slower.
CREATE TABLE flows (
	id                       INTEGER PRIMARY KEY,
	run_id                   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	iface                    TEXT NOT NULL CHECK (iface IN ('external', 'internal')),
	transport                INTEGER NOT NULL CHECK (transport BETWEEN 0 AND 255),
	initiator_ip             TEXT NOT NULL,
	initiator_port           INTEGER NOT NULL CHECK (initiator_port BETWEEN 0 AND 65535),
	responder_ip             TEXT NOT NULL,
	responder_port           INTEGER NOT NULL CHECK (responder_port BETWEEN 0 AND 65535),
	first_us                 INTEGER NOT NULL CHECK (first_us >= 0),
	last_us                  INTEGER NOT NULL CHECK (last_us >= first_us),
	pkts_out                 INTEGER NOT NULL CHECK (pkts_out >= 0),
	pkts_in                  INTEGER NOT NULL CHECK (pkts_in >= 0),
	bytes_out                INTEGER NOT NULL CHECK (bytes_out >= 0),
	bytes_in                 INTEGER NOT NULL CHECK (bytes_in >= 0),
	direction_source         TEXT NOT NULL
	                         CHECK (direction_source = 'syn' OR direction_source = 'first-packet'
	                                OR direction_source = 'port'),
	handshake                TEXT NOT NULL
	                         CHECK (handshake = '' OR handshake = 'established'
	                                OR handshake = 'rejected' OR handshake = 'no-answer'
	                                OR handshake = 'midstream'),
	end_reason               TEXT NOT NULL
	                         CHECK (end_reason = 'fin' OR end_reason = 'rst' OR end_reason = 'idle'
	                                OR end_reason = 'eof' OR end_reason = 'evicted'),
	attempt                  INTEGER NOT NULL CHECK (attempt IN (0, 1)),
	master_proto             TEXT NOT NULL,
	app_proto                TEXT NOT NULL,
	category                 TEXT NOT NULL,
	confidence               TEXT NOT NULL,
	proto_source             TEXT NOT NULL
	                         CHECK (proto_source = 'none' OR proto_source = 'dpi'
	                                OR proto_source = 'payload' OR proto_source = 'port'),
	proto_unexpected_on_port INTEGER NOT NULL CHECK (proto_unexpected_on_port IN (0, 1)),
	risks                    TEXT NOT NULL,
	server_name              TEXT NOT NULL,  -- raw bytes off the wire
	community_id             TEXT NOT NULL,
	verdict                  TEXT NOT NULL
	                         CHECK (verdict = 'documented' OR verdict = 'documented-port-only'
	                                OR verdict = 'mismatch' OR verdict = 'wrong-direction'
	                                OR verdict = 'unexpected')
);

-- The rows a flow was matched against (see match.h for what they mean
-- per verdict).
CREATE TABLE flow_rules (
	flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
	run_id  INTEGER NOT NULL,
	ord     INTEGER NOT NULL,
	PRIMARY KEY (flow_id, ord),
	FOREIGN KEY (run_id, ord) REFERENCES rules(run_id, ord) ON DELETE CASCADE
);

-- version 2
-- The public view and the indexes the reports need.

-- Per-row and per-verdict report queries.
CREATE INDEX flows_verdict_run ON flows(verdict, run_id);
CREATE INDEX flow_rules_rule ON flow_rules(run_id, ord);
CREATE INDEX inputs_run ON inputs(run_id);

-- Every flow with its derived columns, for reports and ad-hoc queries:
-- the flows table plus the text forms that flow_verdicts publishes.
CREATE VIEW flow_details AS
SELECT
	f.*,
	CASE f.transport
		WHEN 6 THEN 'tcp'
		WHEN 17 THEN 'udp'
		WHEN 1 THEN 'icmp'
		WHEN 58 THEN 'icmpv6'
		WHEN 47 THEN 'gre'
		WHEN 50 THEN 'esp'
		WHEN 51 THEN 'ah'
		WHEN 132 THEN 'sctp'
		ELSE CAST(f.transport AS TEXT)
	END AS transport_name,
	COALESCE(NULLIF(f.app_proto, ''), NULLIF(f.master_proto, ''), 'Unknown') AS app_protocol,
	-- group_concat keeps the order of an ordered subquery: document order.
	COALESCE((SELECT group_concat(o.rule_id, ',')
		  FROM (SELECT r.rule_id AS rule_id
			FROM flow_rules fr
			JOIN rules r ON r.run_id = fr.run_id AND r.ord = fr.ord
			WHERE fr.flow_id = f.id
			ORDER BY fr.ord) AS o), '') AS rule_ids,
	f.pkts_out + f.pkts_in AS packets,
	f.bytes_out + f.bytes_in AS bytes,
	-- Integer arithmetic, so every row has exactly six fraction digits.
	strftime('%Y-%m-%dT%H:%M:%S', f.first_us / 1000000, 'unixepoch')
		|| '.' || substr('000000' || (f.first_us % 1000000), -6) || 'Z' AS first_seen,
	strftime('%Y-%m-%dT%H:%M:%S', f.last_us / 1000000, 'unixepoch')
		|| '.' || substr('000000' || (f.last_us % 1000000), -6) || 'Z' AS last_seen
FROM flows f;

-- One line per flow, readable without knowing the tables. Its name and
-- columns are a public interface: change them only in a new section and
-- only by adding columns.
CREATE VIEW flow_verdicts AS
SELECT
	run_id, iface, transport_name AS transport, initiator_ip, initiator_port,
	responder_ip, responder_port, app_protocol, verdict, rule_ids, direction_source,
	packets, bytes, first_seen, last_seen, server_name, community_id
FROM flow_details;

-- version 3
-- SPAN duplicates (capture/dedup.h): frames of each capture that were
-- copies of a frame read just before (the same bytes, the outer VLAN tag
-- set aside, within EA_DEDUP_WINDOW_US) and so were not counted in any
-- flow. inputs.packets still counts every record of the file; 0 when
-- suppression was off (--keep-duplicates) or for a run before version 3.
ALTER TABLE inputs ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0 CHECK (duplicates >= 0);

-- (monitor) What happened to a live capture's interfaces during a run: an
-- audit that missed traffic must say when and why. One row when an
-- interface is lost (deleted, set down, a USB NIC unplugged) and one when
-- capture on it resumes; the period between them was not captured.
CREATE TABLE interface_events (
	id      INTEGER PRIMARY KEY,
	run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	iface   TEXT NOT NULL CHECK (iface IN ('external', 'internal')),
	name    TEXT NOT NULL,               -- the interface as `ip link` names it
	at_us   INTEGER NOT NULL CHECK (at_us >= 0), -- wall clock, µs since the epoch
	event   TEXT NOT NULL CHECK (event IN ('lost', 'back')),
	reason  TEXT NOT NULL
);
CREATE INDEX interface_events_run ON interface_events(run_id, at_us);

-- flows (wt-engine): a flow that lives long is written while it lives, as
-- an active-timeout update that rewrites its row, so the table gains
--   uid         the flow's id within its run (engine.h), the same for its
--               updates and its end: the key an update rewrites; NULL for
--               a flow written once (never updated: nothing rewrites it,
--               and it costs the index nothing) and before version 3
--   generation  of the ruleset (matrix, signatures, site) that judged it:
--               a sensor reloads them on SIGHUP; NULL before version 3
--   updates     how many times the row was rewritten
-- and two end reasons: 'active' (the flow is still open: the row is its
-- latest update) and 'shutdown' (open when the sensor stopped).
-- SQLite cannot change a CHECK, so flows is rebuilt, every row kept with
-- its id. Dropping a table deletes its rows first, and with foreign keys
-- on that would cascade to flow_rules: flow_rules is set aside and
-- rebuilt too. The views name flows, so they go first and come back
-- unchanged.
DROP VIEW flow_verdicts;
DROP VIEW flow_details;
CREATE TEMP TABLE flow_rules_v2 AS SELECT * FROM flow_rules;
DROP TABLE flow_rules;
ALTER TABLE flows RENAME TO flows_v2;
CREATE TABLE flows (
	id                       INTEGER PRIMARY KEY,
	run_id                   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	iface                    TEXT NOT NULL CHECK (iface IN ('external', 'internal')),
	transport                INTEGER NOT NULL CHECK (transport BETWEEN 0 AND 255),
	initiator_ip             TEXT NOT NULL,
	initiator_port           INTEGER NOT NULL CHECK (initiator_port BETWEEN 0 AND 65535),
	responder_ip             TEXT NOT NULL,
	responder_port           INTEGER NOT NULL CHECK (responder_port BETWEEN 0 AND 65535),
	first_us                 INTEGER NOT NULL CHECK (first_us >= 0),
	last_us                  INTEGER NOT NULL CHECK (last_us >= first_us),
	pkts_out                 INTEGER NOT NULL CHECK (pkts_out >= 0),
	pkts_in                  INTEGER NOT NULL CHECK (pkts_in >= 0),
	bytes_out                INTEGER NOT NULL CHECK (bytes_out >= 0),
	bytes_in                 INTEGER NOT NULL CHECK (bytes_in >= 0),
	direction_source         TEXT NOT NULL
	                         CHECK (direction_source = 'syn' OR direction_source = 'first-packet'
	                                OR direction_source = 'port'),
	handshake                TEXT NOT NULL
	                         CHECK (handshake = '' OR handshake = 'established'
	                                OR handshake = 'rejected' OR handshake = 'no-answer'
	                                OR handshake = 'midstream'),
	end_reason               TEXT NOT NULL
	                         CHECK (end_reason = 'fin' OR end_reason = 'rst' OR end_reason = 'idle'
	                                OR end_reason = 'eof' OR end_reason = 'evicted'
	                                OR end_reason = 'active' OR end_reason = 'shutdown'),
	attempt                  INTEGER NOT NULL CHECK (attempt IN (0, 1)),
	master_proto             TEXT NOT NULL,
	app_proto                TEXT NOT NULL,
	category                 TEXT NOT NULL,
	confidence               TEXT NOT NULL,
	proto_source             TEXT NOT NULL
	                         CHECK (proto_source = 'none' OR proto_source = 'dpi'
	                                OR proto_source = 'payload' OR proto_source = 'port'),
	proto_unexpected_on_port INTEGER NOT NULL CHECK (proto_unexpected_on_port IN (0, 1)),
	risks                    TEXT NOT NULL,
	server_name              TEXT NOT NULL,  -- raw bytes off the wire
	community_id             TEXT NOT NULL,
	verdict                  TEXT NOT NULL
	                         CHECK (verdict = 'documented' OR verdict = 'documented-port-only'
	                                OR verdict = 'mismatch' OR verdict = 'wrong-direction'
	                                OR verdict = 'unexpected'),
	uid                      INTEGER CHECK (uid > 0),
	generation               INTEGER CHECK (generation > 0),
	updates                  INTEGER NOT NULL DEFAULT 0 CHECK (updates >= 0)
);
INSERT INTO flows (id, run_id, iface, transport, initiator_ip, initiator_port, responder_ip,
	responder_port, first_us, last_us, pkts_out, pkts_in, bytes_out, bytes_in,
	direction_source, handshake, end_reason, attempt, master_proto, app_proto, category,
	confidence, proto_source, proto_unexpected_on_port, risks, server_name, community_id,
	verdict)
SELECT id, run_id, iface, transport, initiator_ip, initiator_port, responder_ip,
	responder_port, first_us, last_us, pkts_out, pkts_in, bytes_out, bytes_in,
	direction_source, handshake, end_reason, attempt, master_proto, app_proto, category,
	confidence, proto_source, proto_unexpected_on_port, risks, server_name, community_id,
	verdict
FROM flows_v2 ORDER BY id;
DROP TABLE flows_v2;
CREATE TABLE flow_rules (
	flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
	run_id  INTEGER NOT NULL,
	ord     INTEGER NOT NULL,
	PRIMARY KEY (flow_id, ord),
	FOREIGN KEY (run_id, ord) REFERENCES rules(run_id, ord) ON DELETE CASCADE
);
INSERT INTO flow_rules (flow_id, run_id, ord) SELECT flow_id, run_id, ord FROM flow_rules_v2;
DROP TABLE flow_rules_v2;
CREATE INDEX flows_verdict_run ON flows(verdict, run_id);
CREATE INDEX flow_rules_rule ON flow_rules(run_id, ord);
-- The row an update rewrites: one per flow and run.
CREATE UNIQUE INDEX flows_run_uid ON flows(run_id, uid) WHERE uid IS NOT NULL;
CREATE VIEW flow_details AS
SELECT
	f.*,
	CASE f.transport
		WHEN 6 THEN 'tcp'
		WHEN 17 THEN 'udp'
		WHEN 1 THEN 'icmp'
		WHEN 58 THEN 'icmpv6'
		WHEN 47 THEN 'gre'
		WHEN 50 THEN 'esp'
		WHEN 51 THEN 'ah'
		WHEN 132 THEN 'sctp'
		ELSE CAST(f.transport AS TEXT)
	END AS transport_name,
	COALESCE(NULLIF(f.app_proto, ''), NULLIF(f.master_proto, ''), 'Unknown') AS app_protocol,
	-- group_concat keeps the order of an ordered subquery: document order.
	COALESCE((SELECT group_concat(o.rule_id, ',')
		  FROM (SELECT r.rule_id AS rule_id
			FROM flow_rules fr
			JOIN rules r ON r.run_id = fr.run_id AND r.ord = fr.ord
			WHERE fr.flow_id = f.id
			ORDER BY fr.ord) AS o), '') AS rule_ids,
	f.pkts_out + f.pkts_in AS packets,
	f.bytes_out + f.bytes_in AS bytes,
	-- Integer arithmetic, so every row has exactly six fraction digits.
	strftime('%Y-%m-%dT%H:%M:%S', f.first_us / 1000000, 'unixepoch')
		|| '.' || substr('000000' || (f.first_us % 1000000), -6) || 'Z' AS first_seen,
	strftime('%Y-%m-%dT%H:%M:%S', f.last_us / 1000000, 'unixepoch')
		|| '.' || substr('000000' || (f.last_us % 1000000), -6) || 'Z' AS last_seen
FROM flows f;
-- The public view, its columns unchanged.
CREATE VIEW flow_verdicts AS
SELECT
	run_id, iface, transport_name AS transport, initiator_ip, initiator_port,
	responder_ip, responder_port, app_protocol, verdict, rule_ids, direction_source,
	packets, bytes, first_seen, last_seen, server_name, community_id
FROM flow_details;

-- Issue 7: what a long capture must also record — its losses, the
-- filter it read through, and daily totals that outlive the flows that
-- retention deletes.

-- The BPF expression a run read its captures through (pcap-filter(7)),
-- as given; NULL: every frame. A capture read with a filter holds it
-- only against a read with the same filter (see ea_store_claim_run).
ALTER TABLE runs ADD COLUMN filter TEXT;

-- 1: a live capture (`monitor`): its flows are the only record of that
-- traffic, so the default report counts the run whatever its status.
-- 0: a run of capture files (`read`).
ALTER TABLE runs ADD COLUMN live INTEGER NOT NULL DEFAULT 0 CHECK (live IN (0, 1));

-- 1: the run audited every frame (--keep-duplicates): SPAN duplicates were
-- not suppressed, so a count of 0 suppressed means nothing was looked for.
ALTER TABLE runs ADD COLUMN duplicates_kept INTEGER NOT NULL DEFAULT 0
	CHECK (duplicates_kept IN (0, 1));

-- Loss and the sensor's own drops, per interface per interval. start_us
-- and end_us are µs since the epoch: the wall clock for a live capture
-- (the monitor's interval), the first and last frame's time of the
-- capture for `read` (input_id names it). Counts are for the interval
-- alone, never running totals. kernel_* are libpcap's pcap_stats
-- (received: frames the filter passed; dropped: lost because the ring
-- was full; if_dropped: dropped by the interface or its driver), NULL
-- when there is no kernel capture (a file). queue_dropped: flow records
-- the database writer had no room for; evicted: flows ended early
-- because the flow table was full; duplicates: SPAN duplicate frames
-- suppressed (not a loss).
CREATE TABLE capture_stats (
	id              INTEGER PRIMARY KEY,
	run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	iface           TEXT NOT NULL CHECK (iface IN ('external', 'internal')),
	input_id        INTEGER REFERENCES inputs(id) ON DELETE CASCADE,
	start_us        INTEGER NOT NULL CHECK (start_us >= 0),
	end_us          INTEGER NOT NULL CHECK (end_us >= start_us),
	kernel_received INTEGER CHECK (kernel_received >= 0),
	kernel_dropped  INTEGER CHECK (kernel_dropped >= 0),
	if_dropped      INTEGER CHECK (if_dropped >= 0),
	queue_dropped   INTEGER NOT NULL DEFAULT 0 CHECK (queue_dropped >= 0),
	evicted         INTEGER NOT NULL DEFAULT 0 CHECK (evicted >= 0),
	duplicates      INTEGER NOT NULL DEFAULT 0 CHECK (duplicates >= 0)
);
CREATE INDEX capture_stats_run ON capture_stats(run_id, iface, start_us);

-- Retention (ea_store_retain) deletes old flows a UTC day at a time and
-- first keeps their totals here, per run and day (day: days since the
-- epoch of the flows' last_us). Rule usage: the flows a row allowed
-- (documented and documented-port-only), with their unanswered attempts.
CREATE TABLE rollup_rules (
	run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	day        INTEGER NOT NULL CHECK (day >= 0),
	rule_id    TEXT NOT NULL,
	flows      INTEGER NOT NULL CHECK (flows >= 0),
	port_only  INTEGER NOT NULL CHECK (port_only >= 0),
	packets    INTEGER NOT NULL CHECK (packets >= 0),
	bytes      INTEGER NOT NULL CHECK (bytes >= 0),
	no_answer  INTEGER NOT NULL CHECK (no_answer >= 0),
	rejected   INTEGER NOT NULL CHECK (rejected >= 0),
	initiators INTEGER NOT NULL CHECK (initiators >= 0),  -- distinct that day
	responders INTEGER NOT NULL CHECK (responders >= 0),
	first_us   INTEGER NOT NULL,
	last_us    INTEGER NOT NULL,
	PRIMARY KEY (run_id, day, rule_id)
);

-- The initiators of the flows each row allowed, over every rolled-up
-- day of a run: a distinct count cannot be summed from daily counts, and
-- this set is bounded by the peers there are, not by time.
CREATE TABLE rollup_peers (
	run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	rule_id TEXT NOT NULL,
	ip      TEXT NOT NULL,
	PRIMARY KEY (run_id, rule_id, ip)
) WITHOUT ROWID;

-- Every flow by the group a report shows findings in: interface,
-- verdict, transport, responder port (the ICMP type apart), protocol
-- and whether only the port named it.
CREATE TABLE rollup_groups (
	run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	day            INTEGER NOT NULL CHECK (day >= 0),
	iface          TEXT NOT NULL,
	verdict        TEXT NOT NULL,
	transport      INTEGER NOT NULL,
	responder_port INTEGER NOT NULL,
	icmp_type      INTEGER NOT NULL,               -- -1: not ICMP
	app_protocol   TEXT NOT NULL,
	by_port        INTEGER NOT NULL CHECK (by_port IN (0, 1)),
	flows          INTEGER NOT NULL CHECK (flows >= 0),
	packets        INTEGER NOT NULL CHECK (packets >= 0),
	bytes          INTEGER NOT NULL CHECK (bytes >= 0),
	attempts       INTEGER NOT NULL CHECK (attempts >= 0),
	no_answer      INTEGER NOT NULL CHECK (no_answer >= 0),
	rejected       INTEGER NOT NULL CHECK (rejected >= 0),
	initiators     INTEGER NOT NULL CHECK (initiators >= 0),
	responders     INTEGER NOT NULL CHECK (responders >= 0),
	first_us       INTEGER NOT NULL,
	last_us        INTEGER NOT NULL,
	PRIMARY KEY (run_id, day, iface, verdict, transport, responder_port, icmp_type,
		     app_protocol, by_port)
);

-- Which (run, day) retention has rolled up, and up to which flow id: a
-- retention stopped half way deletes the rest without counting it
-- twice; a flow of that day stored later (a higher id) is rolled up on
-- its own.
CREATE TABLE rollup_days (
	run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	day         INTEGER NOT NULL,
	upto_id     INTEGER NOT NULL,
	PRIMARY KEY (run_id, day)
);

-- Retention finds the oldest flows by their end.
CREATE INDEX flows_last ON flows(last_us);

-- version 4
-- Issue 8: the site's own policy beside the vendor's.

-- ---- wt-nat: the NAT requirement of a private-IP Edge (README, "The NAT
-- requirement") ----
-- A flow's NAT finding (src/rules/natcheck.h), beside its verdict:
-- 'nat-source' (from the NAT device's own inside address, [nat] inside),
-- 'private-source' (from a private address no role holds, to an Edge
-- private address); NULL: none, and every flow of a version-3 run.
-- flow_details (f.*) shows it.
ALTER TABLE flows ADD COLUMN nat_finding TEXT
	CHECK (nat_finding IS NULL OR nat_finding IN ('nat-source', 'private-source'));
-- What pairing the two sides of the NAT found in one read (src/engine/
-- natpair.h): for each Edge private address seen on the external NIC, the
-- public address its flows were seen with on the other side (paired by
-- the Community ID of the translated tuple), against the site's [nat]
-- map. status: 'ok' (as mapped), 'differs' (another public address than
-- the map's: a finding), 'unmapped' (paired, the site maps nothing for
-- it), 'unpaired' (no flow of it paired although the run read the public
-- side). Only runs that read both sides have rows.
CREATE TABLE nat_mappings (
	id           INTEGER PRIMARY KEY,
	run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	role         TEXT NOT NULL,              -- the Edge role of private_ip
	private_ip   TEXT NOT NULL,
	public_ip    TEXT,                       -- seen; NULL when unpaired
	expected_ip  TEXT,                       -- the site's map; NULL: none
	status       TEXT NOT NULL CHECK (status IN ('ok', 'differs', 'unmapped', 'unpaired')),
	flows        INTEGER NOT NULL CHECK (flows >= 0),    -- flows of private_ip paired with public_ip
	unpaired     INTEGER NOT NULL CHECK (unpaired >= 0), -- flows of private_ip that paired with nothing
	example_community_id TEXT                -- one paired flow, to look it up on both sides
);
CREATE INDEX nat_mappings_run ON nat_mappings(run_id);
-- ---- end wt-nat ----

-- ---- wt-tail ----
-- (monitor) Flow records the database refused for good (a CHECK, a
-- trigger, a value too big: retrying could never write them), dropped by
-- the writer so that the others are written; per interface and interval,
-- as queue_dropped.
ALTER TABLE capture_stats ADD COLUMN refused INTEGER NOT NULL DEFAULT 0 CHECK (refused >= 0);
-- ---- end wt-tail ----

-- ---- wt-icmp: ICMP errors joined to the flow they quote (issue 8 §4) ----
-- An ICMP/ICMPv6 error (destination unreachable, packet too big, time
-- exceeded, parameter problem) quotes the packet it answers and is
-- counted on that packet's flow (engine/icmp_attach.h): in its packets
-- and bytes, and here.
--   icmp_errors     errors counted on this flow; 0 for none and for every
--                   flow stored before version 4
--   icmp_last_type  the latest one's type and code: ICMP for an IPv4 flow,
--   icmp_last_code  ICMPv6 for an IPv6 one; NULL when icmp_errors = 0
--   icmp_orphan     1: this flow is itself ICMP errors whose quoted flow
--                   was not open (never seen, already ended and written,
--                   or a quote that names no flow)
ALTER TABLE flows ADD COLUMN icmp_errors INTEGER NOT NULL DEFAULT 0 CHECK (icmp_errors >= 0);
ALTER TABLE flows ADD COLUMN icmp_last_type INTEGER CHECK (icmp_last_type BETWEEN 0 AND 255);
ALTER TABLE flows ADD COLUMN icmp_last_code INTEGER CHECK (icmp_last_code BETWEEN 0 AND 255);
ALTER TABLE flows ADD COLUMN icmp_orphan INTEGER NOT NULL DEFAULT 0 CHECK (icmp_orphan IN (0, 1));
-- ---- end wt-icmp ----

-- ---- wt-policy: the site's policy beside the vendor's (issue 8 §1, §2) ----
-- Every verdict says whether the vendor's row or the site's rule decided
-- it. The rules of a run are the matrix's rows and, after them, the
-- site's local rules (--local):
--   origin     'vendor' (the matrix file) or 'local' (ids local-NN)
--   action     'allow', or 'deny' (local rules only: a flow it fits is a
--              finding whatever else allows it)
--   feature    the optional features the row serves, joined by ', '
--              (signatures/README.md, "Features"); NULL: always open
--   closed_by  the features the run's site profile ([deployment]) turned
--              off that close the row; NULL: open. A closed row is
--              reported as "closed by profile", never as unused.
-- Rows of runs before version 4 are the vendor's, allowing, open.
ALTER TABLE rules ADD COLUMN origin TEXT NOT NULL DEFAULT 'vendor'
	CHECK (origin = 'vendor' OR origin = 'local');
ALTER TABLE rules ADD COLUMN action TEXT NOT NULL DEFAULT 'allow'
	CHECK (action = 'allow' OR action = 'deny');
ALTER TABLE rules ADD COLUMN feature TEXT;
ALTER TABLE rules ADD COLUMN closed_by TEXT;
-- A flow's verdict as the site's policy left it:
--   reason      why the policy overrode the rows: 'not-applicable: F
--               disabled' (only rows closed by the profile fit; their ids
--               are the flow's rules), 'denied: local-NN' (a local deny
--               rule fits; its id is the flow's rule); NULL: none
--   decided_by  'vendor' or 'local' (the origin of the first rule
--               listed), 'profile' (not-applicable); NULL: no rule at all
-- flow_details shows both (it selects flows.*); flow_verdicts gains
-- reason at its end. NULL for flows before version 4.
ALTER TABLE flows ADD COLUMN reason TEXT;
ALTER TABLE flows ADD COLUMN decided_by TEXT
	CHECK (decided_by IS NULL OR decided_by = 'vendor' OR decided_by = 'local'
	       OR decided_by = 'profile');
-- The local rules file a run was judged with (--local); NULL: none.
ALTER TABLE runs ADD COLUMN local_path TEXT;
ALTER TABLE runs ADD COLUMN local_sha256 TEXT;
-- wt-evidence (issue 9): a flow's stable id is flows.id (INTEGER PRIMARY
-- KEY, kept through every rebuild above, unchanged by an active-timeout
-- update, which rewrites the row in place). `edgeaudit evidence --flow ID`
-- takes it; flow_verdicts shows it as its last column, flow_id.
DROP VIEW flow_verdicts;
CREATE VIEW flow_verdicts AS
SELECT
	run_id, iface, transport_name AS transport, initiator_ip, initiator_port,
	responder_ip, responder_port, app_protocol, verdict, rule_ids, direction_source,
	packets, bytes, first_seen, last_seen, server_name, community_id, reason, id AS flow_id
FROM flow_details;
-- ---- end wt-policy and wt-evidence ----

-- ---- wt-fix7 ----
-- (monitor) Flow records the EVE/syslog output queue had no room for
-- (report/outputs.h: a collector that does not answer never holds up
-- capture; what its queue cannot hold is dropped): lines that never
-- reached the EVE file or the SIEM, per interface and interval.
ALTER TABLE capture_stats ADD COLUMN output_dropped INTEGER NOT NULL DEFAULT 0 CHECK (output_dropped >= 0);
-- (monitor) What a stop could not write (the database still failing at
-- --stop-timeout): flow records (active-timeout updates included) and the
-- distinct flows among them, per interface. The stopping sensor cannot
-- write them here: it leaves them in the file DB-stoploss
-- (store/stoploss.h), which the next monitor start records as a row of
-- that run (start_us = end_us = the stop).
ALTER TABLE capture_stats ADD COLUMN stop_lost_records INTEGER NOT NULL DEFAULT 0 CHECK (stop_lost_records >= 0);
ALTER TABLE capture_stats ADD COLUMN stop_lost_flows INTEGER NOT NULL DEFAULT 0 CHECK (stop_lost_flows >= 0);
-- ---- end wt-fix7 ----
