"""`make test-scale`: the scale-out test (issue 14), run as a program, not by pytest."""
