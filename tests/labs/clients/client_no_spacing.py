#!/usr/bin/env python3
"""Mistake: the timeout is given in the wrong unit (ms as seconds / 1000), so tries go out back to back."""
from labdns import Client, main


class NoSpacing(Client):
    def wait(self, sock, qid):
        self.args.timeout = 0.005
        return super().wait(sock, qid)


if __name__ == "__main__":
    main(NoSpacing)
