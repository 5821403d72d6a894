"""The API that n8n calls: its views, URLs, payload checks and request ids."""
