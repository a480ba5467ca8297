#!/usr/bin/env python3
"""Mistake: the ID is left at 0 for every lookup."""
from labdns import Client, main


class IdZero(Client):
    def new_id(self, lookup):
        return 0


if __name__ == "__main__":
    main(IdZero)
