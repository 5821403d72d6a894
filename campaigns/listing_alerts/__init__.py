"""Listing alerts: a new listing or a price drop becomes an alert to the leads it fits."""
