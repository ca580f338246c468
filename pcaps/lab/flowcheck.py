#!/usr/bin/env python3
"""flowcheck.py — the lab's own check that a rebuilt capture holds exactly
the flows its hand-written expected file lists.

It knows nothing of verdicts: it compares only (interface, transport,
initiator, responder, responder port), computed from tshark's dissection
with the lab's simple rules, so a change in the lab (a stray packet, a
client that opened one connection more) fails the rebuild instead of
silently changing the golden files. The verdicts are edgeaudit's to
compute and the expected files' to state.

  flowcheck.py --check EXPECTED_DIR CAPTURE_DIR
  flowcheck.py --flows CAPTURE IFACE           print the flows of one capture
  flowcheck.py --cut-last-record IN.pcap OUT.pcap

Initiator rules (the lab's clients use ephemeral ports 40000-49999 only):
TCP, the sender of a SYN, else the receiver of a SYN-ACK, else the side
whose port is ephemeral; UDP, the side whose port is ephemeral when only
one is, else the sender of the first packet; ICMP echo, the sender of the
request, responder port the reply's type (Community ID), other ICMP types
one-way with the code as responder port.
"""
import collections
import os
import struct
import subprocess
import sys

EPHEMERAL = range(40000, 50000)
FIELDS = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "ipv6.nxt",
          "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
          "udp.srcport", "udp.dstport", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
          "eth.type"]
ICMP_PAIRS = {1: {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17},
              58: {128: 129, 129: 128}}
TRANSPORT = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}


def packets(path):
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    # A cut capture makes tshark complain at its end; the records before
    # the cut are what counts.
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in res.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        yield v


def num(s):
    return int(s, 0) if s else None


def flows(path, iface):
    """(iface, transport, initiator, responder, responder_port) per flow."""
    table = collections.OrderedDict()
    for v in packets(path):
        src = v.get("ip.src") or v.get("ipv6.src")
        dst = v.get("ip.dst") or v.get("ipv6.dst")
        if not src:
            table.setdefault(("non-ip", v.get("eth.type"), v.get("frame.number")), []).append(v)
            continue
        proto = num(v.get("ip.proto")) if v.get("ip.src") else num(v.get("ipv6.nxt"))
        if proto == 6:
            sp, dp = num(v["tcp.srcport"]), num(v["tcp.dstport"])
        elif proto == 17:
            sp, dp = num(v["udp.srcport"]), num(v["udp.dstport"])
        elif proto in (1, 58):
            t = num(v["icmp.type"] if proto == 1 else v["icmpv6.type"])
            c = num(v["icmp.code"] if proto == 1 else v["icmpv6.code"])
            pair = ICMP_PAIRS[proto].get(t)
            sp, dp = (t, pair) if pair is not None else (t, c)
            v["oneway"] = pair is None
        else:
            sp, dp = 0, 0
        a, b = (src, sp), (dst, dp)
        if proto in (1, 58) and not v.get("oneway"):
            # Both halves of a request/reply pair share one flow.
            key = (proto, tuple(sorted([src, dst])), tuple(sorted([sp, dp])))
        else:
            key = (proto,) + tuple(sorted([a, b]))
        v["_ends"] = (a, b)
        table.setdefault(key, []).append(v)

    out = []
    for key, pkts in table.items():
        if key[0] == "non-ip":
            out.append((iface, "non-ip", "ethertype", key[1] or "?", "0"))
            continue
        proto = key[0]
        first = pkts[0]
        init = resp = None
        if proto == 6:
            for v in pkts:
                syn, ack = v["tcp.flags.syn"] in ("1", "True"), v["tcp.flags.ack"] in ("1", "True")
                if syn and not ack:
                    init, resp = v["_ends"]
                    break
                if syn and ack:
                    resp, init = v["_ends"]
                    break
        if init is None and proto in (6, 17):
            a, b = first["_ends"]
            if (a[1] in EPHEMERAL) != (b[1] in EPHEMERAL):
                init, resp = (a, b) if a[1] in EPHEMERAL else (b, a)
            else:
                init, resp = a, b
        if init is None and proto in (1, 58):
            req = [v for v in pkts if ICMP_PAIRS[proto].get(v["_ends"][0][1]) is not None
                   and v["_ends"][0][1] in (8, 13, 15, 17, 128)]
            init, resp = (req[0] if req else first)["_ends"]
        if init is None:
            init, resp = first["_ends"]
        out.append((iface, TRANSPORT.get(proto, str(proto)), init[0], resp[0], str(resp[1])))
    return out


def expected(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) != 7:
                sys.exit(f"{path}:{n}: expected 7 fields, found {len(line)}")
            rows.append(tuple(line[:5]))
    return rows


def check(expected_dir, capture_dir):
    cases = collections.defaultdict(list)
    for name in sorted(os.listdir(capture_dir)):
        for iface in ("external", "internal"):
            for ext in (".pcap", ".pcapng"):
                suffix = f"-{iface}{ext}"
                if name.endswith(suffix):
                    cases[name[: -len(suffix)]].append((os.path.join(capture_dir, name), iface))
    bad = 0
    for case, files in sorted(cases.items()):
        got = collections.Counter()
        for path, iface in files:
            got.update(flows(path, iface))
        exp_path = os.path.join(expected_dir, case + ".expected")
        if not os.path.exists(exp_path):
            print(f"flowcheck: {case}: no {exp_path}")
            bad += 1
            continue
        want = collections.Counter(expected(exp_path))
        if got == want:
            print(f"flowcheck: {case}: {sum(got.values())} flows as expected")
            continue
        bad += 1
        print(f"flowcheck: {case}: the captured flows differ from {exp_path}")
        for k in sorted((want - got).elements()):
            print("  - expected, not captured: " + " ".join(k))
        for k in sorted((got - want).elements()):
            print("  + captured, not expected: " + " ".join(k))
    return 1 if bad else 0


def cut_last_record(src, dst):
    """Copies a pcap, cutting it in the middle of its last record's data."""
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit(f"{src}: not a pcap file")
    off, last = 24, None
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8: off + 12])[0]
        if off + 16 + caplen > len(data):
            break
        last = (off, caplen)
        off += 16 + caplen
    if last is None or last[1] < 2:
        sys.exit(f"{src}: no record to cut")
    with open(dst, "wb") as f:
        f.write(data[: last[0] + 16 + last[1] // 2])


def main(argv):
    if len(argv) == 4 and argv[1] == "--check":
        return check(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "--flows":
        for row in flows(argv[2], argv[3]):
            print(" ".join(row))
        return 0
    if len(argv) == 4 and argv[1] == "--cut-last-record":
        cut_last_record(argv[2], argv[3])
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
