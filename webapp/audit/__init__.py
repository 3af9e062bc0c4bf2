"""Accountability: the DPA 2018 s.62 access log (hash-chained, append-only) and break-glass."""
