"""Subject A/B tests: the split, the held rest, the z-test that picks a winner, and the results."""
