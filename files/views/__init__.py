"""Views, split by audience: `pages` for people, `api` for the uploader's JSON calls."""
