#!/usr/bin/env python3
"""Mistake: the whole 512-byte buffer is sent, so zero bytes trail the question."""
from labdns import Client, build_query, main


class TrailingBytes(Client):
    def build(self, qid, name, qtype, attempt):
        buf = bytearray(512)
        q = build_query(qid, name, qtype)
        buf[: len(q)] = q
        return bytes(buf)


if __name__ == "__main__":
    main(TrailingBytes)
