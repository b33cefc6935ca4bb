"""Django's own ASGI handler for HTTP: the layout Peerlight does not ship, kept
as a reference for the servers benchmark.

``peerlight/asgi.py`` sends HTTP to Django's WSGI handler on a pool of reused
threads. Django's ASGI handler runs every sync middleware hook and the view
through ``sync_to_async``, about forty thread hand-offs per request, and
starts a fresh thread (so a fresh database connection) for each request; the
servers benchmark measures both so the choice can be checked again.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bench_settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from peerlight.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
