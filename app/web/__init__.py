"""Server-rendered pages (Jinja + HTMX) and their static assets."""
