#!/usr/bin/env python3
"""Mistake: one fixed ID (0x1234) for every lookup."""
from labdns import Client, main


class SameId(Client):
    def new_id(self, lookup):
        return 0x1234


if __name__ == "__main__":
    main(SameId)
