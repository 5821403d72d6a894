"""Sequences that run themselves: enrolment, due times in a send window, the tick, and what is
still to come."""
