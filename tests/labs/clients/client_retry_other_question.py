#!/usr/bin/env python3
"""Mistake: each retry asks a different question (the name loses its first label)."""
from labdns import Client, build_query, main


class RetryOtherQuestion(Client):
    def build(self, qid, name, qtype, attempt):
        labels = name.split(".")
        return build_query(qid, ".".join(labels[attempt:]) or ".", qtype)


if __name__ == "__main__":
    main(RetryOtherQuestion)
