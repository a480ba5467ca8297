#!/usr/bin/env python3
"""Mistake: the server address is hard-coded to the local stub 127.0.0.53, not the asked server."""
from labdns import Client, main


class WrongServer(Client):
    def destination(self):
        return ("127.0.0.53", self.args.port)


if __name__ == "__main__":
    main(WrongServer)
