"""What a message says and how its bytes are made: the Jinja sandbox and renderer, template
errors in plain words, HTML to text, the listing card, the MIME builder and the public address
links start with."""
