"""The outbox: claiming queued messages under every sending rule, sending them, who sends each
one, why one failed, and the links put in at send time."""
