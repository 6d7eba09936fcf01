"""Masking gaps found and not yet fixed, each a strict xfail: it fails the suite the day the gap closes, so the
mark is taken off and the case joins the ordinary tests.

None at present: session 12's card hidden by a word joiner, a comma and a soft hyphen is closed for its whole class
(test_masking_hidden_and_foreign_marks.py)."""
