"""The Gmail accounts that send: the Gmail API client, connecting through Google's OAuth, and
warm-up."""
