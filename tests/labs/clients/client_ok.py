#!/usr/bin/env python3
"""The correct lab client: random non-zero ID per lookup, RD=1, network byte order, 3 tries."""
from labdns import Client, main

if __name__ == "__main__":
    main(Client)
