"""Importing leads: reading files, the preview and the bulk upsert, shared by the admin and the
command line."""
