"""The periodic jobs (scheduled launches, stale claims, A/B decisions, the sequence tick...),
run by one function that every driver calls: the direct sender and n8n's tick alike."""
