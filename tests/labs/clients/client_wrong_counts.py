#!/usr/bin/env python3
"""Mistake: ANCOUNT set to 1 in the query although no answer section follows."""
import struct

from labdns import CLASS_IN, Client, encode_name, main


class WrongCounts(Client):
    def build(self, qid, name, qtype, attempt):
        header = struct.pack("!HHHHHH", qid, 0x0100, 1, 1, 0, 0)
        return header + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


if __name__ == "__main__":
    main(WrongCounts)
