"""The site's plumbing: tenancy, bulk writes, time zones, login, error pages and the admin's
navigation."""
