"""The one package that speaks HTTP: the JSON API (web/api), the pages (web/pages), and what both share."""
