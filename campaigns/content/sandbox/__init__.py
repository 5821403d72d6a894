"""The sandbox staff templates render in: Jinja2's, with every render bounded in CPU time
and memory (see campaigns/content/rendering.py for why, and how)."""
