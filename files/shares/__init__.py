"""Share links: to one file (single) or to several (multi; the model says Share.multi)."""
