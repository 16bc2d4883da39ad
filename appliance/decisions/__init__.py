"""Member decisions: proposals and polls an admin sets up on the dashboard, voted on at
the kiosk by fob or by member number and surname, secret by construction
(docs/DECISIONS.md).

- ballots.py: a ballot's question, options, who may vote, when, and how it is decided;
  creating, changing (before it opens), closing and annulling;
- voting.py: casting (and changing) a vote: the "has voted" mark and the counts in one
  transaction with nothing shared between them;
- results.py: turnout, counts, whether a proposal passed, and what is public;
- comments.py: short comments left at the kiosk, signed or anonymous.
"""
