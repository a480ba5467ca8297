"""What a student's DNS client does, in one small module the lab programs share.

`Client` is the correct client of the "own DNS client" lab: it builds the query
by hand (RFC 1035 section 4.1, network byte order), sends it over one UDP socket
to port 53 of the asked server, waits `--timeout` seconds for the reply and
tries at most `--tries` times. Each `client_*.py` program next to this file is
the same client with one classic mistake, made by overriding one method.
"""

import argparse
import random
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "AAAA": 28}
CLASS_IN = 1


def encode_name(name):
    """Labels, each with its length byte, then the root label (a 00 byte)."""
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def build_query(qid, name, qtype, rd=True):
    flags = 0x0100 if rd else 0x0000  # RD is bit 8 of the flags word
    header = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


class Client:
    """The correct client."""

    tries = 3

    def __init__(self, args):
        self.args = args
        self.tries = args.tries if args.tries else type(self).tries

    def new_id(self, lookup):
        """A fresh random ID per lookup, never 0."""
        return random.randint(1, 0xFFFF)

    def build(self, qid, name, qtype, attempt):
        return build_query(qid, name, qtype)

    def destination(self):
        return (self.args.server, self.args.port)

    def wait(self, sock, qid):
        """Wait up to the timeout for a reply carrying our ID."""
        sock.settimeout(self.args.timeout)
        deadline = time.monotonic() + self.args.timeout
        while True:
            data, _ = sock.recvfrom(4096)
            if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                return data
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            sock.settimeout(left)

    def lookup(self, sock, lookup, name, qtype):
        qid = self.new_id(lookup)
        for attempt in range(self.tries):
            query = self.build(qid, name, qtype, attempt)
            sock.sendto(query, self.destination())
            try:
                reply = self.wait(sock, qid)
            except (socket.timeout, ConnectionRefusedError):
                print(f"{name}: try {attempt + 1} timed out", file=sys.stderr)
                continue
            flags, qd, an = struct.unpack("!HHH", reply[2:8])
            print(f"{name}: rcode {flags & 0xF}, {an} answer(s)")
            return True
        print(f"{name}: no answer after {self.tries} tries", file=sys.stderr)
        return False

    def run(self):
        qtype = TYPES[self.args.type]
        # One socket for the whole run, as the lab handout asks.
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ok = True
        for lookup, name in enumerate(self.args.names):
            ok = self.lookup(sock, lookup, name, qtype) and ok
        sock.close()
        return 0 if ok else 1


def main(cls):
    p = argparse.ArgumentParser(description=cls.__doc__)
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--type", default="A", choices=sorted(TYPES))
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--tries", type=int, default=0, help="0: the program's own number")
    p.add_argument("names", nargs="+")
    sys.exit(cls(p.parse_args()).run())


if __name__ == "__main__":
    main(Client)
