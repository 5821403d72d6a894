import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limits(fresh_rate_limits):
    """Every post here counts against the client address's limit (all tests post from
    127.0.0.1): each test starts from nothing."""
