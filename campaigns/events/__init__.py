"""What happens after sending: opens, clicks, unsubscribes, replies, auto-replies and bounces,
and the public pages recipients reach."""
