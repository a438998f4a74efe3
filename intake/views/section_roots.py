"""A section answers at its root with or without the slash: /admin/ goes to /admin.

Section homes live at the bare prefix (/admin, /account, /book ...), where every link and
bookmark has them. Werkzeug redirects only the other way (a rule ending in "/" takes the bare
address), so "/admin/" was a 404; here it is a permanent redirect to the one address."""

from flask import Flask, redirect, request
from werkzeug.exceptions import HTTPException, NotFound


def register(app: Flask) -> None:
    """After the blueprints: their URL prefixes are the section roots."""
    roots = {blueprint.url_prefix for blueprint in app.blueprints.values() if blueprint.url_prefix}

    @app.before_request
    def section_root_without_its_slash():
        if not isinstance(request.routing_exception, NotFound):
            return None
        bare = request.path.removesuffix("/")
        if bare == request.path or bare not in roots:
            return None
        try:
            app.create_url_adapter(request).match(bare, method=request.method)
        except HTTPException:
            return None  # no page at the bare root either: the 404 stands
        query = request.query_string.decode("latin-1")
        # 308 keeps the method and body, as Werkzeug's own slash redirect does.
        return redirect(request.script_root + bare + (f"?{query}" if query else ""), 308)
