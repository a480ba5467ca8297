#!/usr/bin/env python3
"""Mistake: the whole header packed little-endian ("<HHHHHH"): flags 00 01, QDCOUNT 256."""
import struct

from labdns import CLASS_IN, Client, encode_name, main


class LittleEndianHeader(Client):
    def build(self, qid, name, qtype, attempt):
        header = struct.pack("<HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        return header + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


if __name__ == "__main__":
    main(LittleEndianHeader)
