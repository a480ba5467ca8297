#!/usr/bin/env python3
"""Mistake: the name's labels are written but not the root label (the final 00 byte)."""
import struct

from labdns import CLASS_IN, Client, main


class NoRootLabel(Client):
    def build(self, qid, name, qtype, attempt):
        header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
        return header + qname + struct.pack("!HH", qtype, CLASS_IN)


if __name__ == "__main__":
    main(NoRootLabel)
