"""Preflight: before a launch, every step rendered for every lead of the audience and the
result reported (blank merge fields, failures, skipped leads, content that hurts delivery),
without queuing anything. Shown on the launch page and by `launch_campaign --check`."""

from campaigns.preflight.audit import lead_ids, preflight_run, steps_of
from campaigns.preflight.report import Finding, Report

__all__ = ["Finding", "Report", "lead_ids", "preflight_run", "steps_of"]
