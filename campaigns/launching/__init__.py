"""Launching a blast: its checks, its dispatch, and its audience queued in the background."""
