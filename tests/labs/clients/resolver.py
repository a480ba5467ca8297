#!/usr/bin/env python3
"""The iterative-resolver lab: start at a root server with RD=0, follow each referral
(NS records in the authority section, their addresses from the glue in the additional
section) down to the authoritative server, restart on a CNAME, stop at the answer.

--mistake rd1   sends every query with RD=1 (asks the root to recurse);
--mistake skip  skips the chain and asks a server it was never referred to (--skip-to).
"""

import argparse
import random
import socket
import struct
import sys

from labdns import TYPES, build_query


def read_name(msg, off):
    """Decode a possibly compressed name; return (name, offset after it)."""
    labels, end, hops = [], None, 0
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            return ".".join(labels) + ".", (end if end is not None else off + 1)
        labels.append(msg[off + 1 : off + 1 + n].decode("ascii", "replace"))
        off += 1 + n


def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    sections = []
    for count in (an, ns, ar):
        rrs = []
        for _ in range(count):
            owner, off = read_name(msg, off)
            rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off : off + 10])
            off += 10
            rdata = msg[off : off + rdlen]
            if rtype in (TYPES["NS"], TYPES["CNAME"]):
                value, _ = read_name(msg, off)
            elif rtype == TYPES["A"] and rdlen == 4:
                value = socket.inet_ntoa(rdata)
            elif rtype == TYPES["AAAA"] and rdlen == 16:
                value = socket.inet_ntop(socket.AF_INET6, rdata)
            else:
                value = rdata.hex()
            rrs.append((owner.lower(), rtype, value))
            off += rdlen
        sections.append(rrs)
    return qid, flags & 0xF, sections


def ask(sock, server, port, name, qtype, rd, timeout):
    qid = random.randint(1, 0xFFFF)
    sock.sendto(build_query(qid, name, qtype, rd=rd), (server, port))
    sock.settimeout(timeout)
    while True:
        data, _ = sock.recvfrom(4096)
        if data[:2] == struct.pack("!H", qid):
            return parse(data)


def resolve(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    qtype = TYPES[args.type]
    rd = args.mistake == "rd1"
    name = args.name.rstrip(".") + "."
    server = args.skip_to if args.mistake == "skip" else args.root
    for _ in range(16):  # bound the walk: referrals plus CNAME restarts
        print(f"asking {server} for {name} {args.type}")
        _, rcode, (answer, authority, additional) = ask(
            sock, server, args.port, name, qtype, rd, args.timeout
        )
        if rcode != 0:
            print(f"rcode {rcode}", file=sys.stderr)
            return 1
        finals = [v for (o, t, v) in answer if o == name.lower() and t == qtype]
        if finals:
            print(f"{name} {args.type} {' '.join(finals)}")
            return 0
        cnames = [v for (o, t, v) in answer if o == name.lower() and t == TYPES["CNAME"]]
        if cnames:
            name = cnames[0]
            server = args.root  # restart at the root for the CNAME target
            continue
        nsnames = [v.lower() for (_, t, v) in authority if t == TYPES["NS"]]
        glue = [v for (o, t, v) in additional if o in nsnames and t == TYPES["A"]]
        if not glue:
            print("referral without glue", file=sys.stderr)
            return 1
        server = glue[0]
    return 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default="127.0.0.2")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--type", default="A", choices=sorted(TYPES))
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--mistake", choices=["rd1", "skip"])
    p.add_argument("--skip-to", default="127.0.0.4")
    p.add_argument("name")
    sys.exit(resolve(p.parse_args()))


if __name__ == "__main__":
    main()
