"""The send plan: one per sending account, shared by every campaign that sends from it
(simulation.py plays the outbox's rules forward, sources.py reads where it starts,
plans.py gives each campaign its finish and each day its sends, chart.py draws it)."""
