#!/usr/bin/env python3
"""Mistake: RD left at 0 although the lab asks for recursion (RD=1)."""
from labdns import Client, build_query, main


class NoRecursion(Client):
    def build(self, qid, name, qtype, attempt):
        return build_query(qid, name, qtype, rd=False)


if __name__ == "__main__":
    main(NoRecursion)
