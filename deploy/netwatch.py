#!/usr/bin/env python3
"""Record every packet of one network namespace (root, Linux): proof that a container talks to no one.

    nsenter -t <pid> -n python3 deploy/netwatch.py OUT.jsonl SECONDS

Run inside a container's network namespace, it sees that container's loopback and its link to the host:
every IPv4/IPv6 packet is written to OUT.jsonl as one line {"if", "proto", "src", "dst", "sport",
"dport"}; ARP (address resolution on the link) is counted but not listed. It stops after SECONDS or on
SIGTERM. `outside(records, port)` lists what is not the served port.
"""

from __future__ import annotations

import json
import signal
import socket
import struct
import sys
import time
from pathlib import Path

ETH_P_ALL = 0x0003
PROTOS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp6"}


def parse(frame: bytes) -> dict | None:
    """The addresses and ports of an Ethernet frame (loopback frames have a zero Ethernet header)."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x0800 and len(frame) >= 34:
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        proto = ip[9]
        src, dst = socket.inet_ntop(socket.AF_INET, ip[12:16]), socket.inet_ntop(socket.AF_INET, ip[16:20])
        l4 = ip[ihl:]
    elif ethertype == 0x86DD and len(frame) >= 54:
        ip = frame[14:]
        proto = ip[6]
        src = socket.inet_ntop(socket.AF_INET6, ip[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, ip[24:40])
        l4 = ip[40:]
    else:
        return {"arp": True} if ethertype == 0x0806 else {"ethertype": ethertype}
    sport = dport = None
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack("!HH", l4[:4])
    return {"proto": PROTOS.get(proto, str(proto)), "src": src, "dst": dst, "sport": sport, "dport": dport}


def link_local(rec: dict) -> bool:
    """The kernel's own IPv6 housekeeping on a new link (neighbour discovery, multicast listener reports
    to ff02::…), like ARP for IPv4: not a request of any program."""
    return str(rec.get("dst", "")).startswith("ff02:") and rec.get("proto") in ("icmp6", "0")


def outside(records: list[dict], port: int) -> list[dict]:
    """Packets that are neither TCP to/from `port` nor link-layer housekeeping (ARP, IPv6 on ff02::)."""
    return [r for r in records if not r.get("arp") and not r.get("ready") and not link_local(r)
            and not (r.get("proto") == "tcp" and port in (r.get("sport"), r.get("dport")))]


def read(path: Path) -> list[dict]:
    """The records of an OUT.jsonl written by `watch` (so far)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def watch(out: Path, seconds: float) -> None:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.settimeout(0.5)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    deadline = time.monotonic() + seconds
    seen: set[str] = set()
    arp = 0
    with out.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"ready": True}) + "\n")
        f.flush()
        while not stop["now"] and time.monotonic() < deadline:
            try:
                frame, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            rec = parse(frame)
            if rec is None:
                continue
            if rec.get("arp"):
                arp += 1
                continue
            rec["if"] = addr[0]
            key = json.dumps(rec, sort_keys=True)
            if key not in seen:  # one line per distinct flow direction
                seen.add(key)
                f.write(key + "\n")
                f.flush()
        f.write(json.dumps({"arp": True, "count": arp}) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    watch(Path(sys.argv[1]), float(sys.argv[2]))
