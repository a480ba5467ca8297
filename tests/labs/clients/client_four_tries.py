#!/usr/bin/env python3
"""Mistake: an off-by-one loop makes 4 tries instead of 3."""
from labdns import Client, main


class FourTries(Client):
    tries = 4


if __name__ == "__main__":
    main(FourTries)
