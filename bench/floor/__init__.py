"""The floor: the simplest Channels consumer that does the same job as Sifang's live vote.

Per ``ballot.cast`` it writes one row in its own transaction (a unique constraint stops a second
ballot), acknowledges, and broadcasts a tally to the group, ballot by ballot: the textbook
Channels pattern. ``bench/live_vote.py`` drives it and Sifang with the same client under the same
server, database and channel layer (``bench.asgi``), so the two can be compared.
"""
