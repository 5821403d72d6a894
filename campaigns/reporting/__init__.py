"""Results: per-day sums, progress, the home's dashboard, timelines, the checklist, sender health
and charts."""
