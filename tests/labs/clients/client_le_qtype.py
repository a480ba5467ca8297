#!/usr/bin/env python3
"""Mistake: QTYPE written in host (little-endian) byte order, so A goes out as 01 00."""
import struct

from labdns import CLASS_IN, Client, encode_name, main


class LittleEndianQtype(Client):
    def build(self, qid, name, qtype, attempt):
        header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        return header + encode_name(name) + qtype.to_bytes(2, "little") + struct.pack("!H", CLASS_IN)


if __name__ == "__main__":
    main(LittleEndianQtype)
