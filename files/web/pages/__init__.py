"""Pages for people: HTML (and the htmx fragments in them). Never imports files/web/api."""
