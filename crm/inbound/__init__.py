"""Leads that arrive one at a time: POST /api/leads/ from the agency's web forms, n8n or
Zapier, with a key of the agency's (docs/importing.md)."""
