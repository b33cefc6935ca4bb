"""ASGI entry point: HTTP and websockets (origin-checked, authenticated).

HTTP goes to Django's WSGI handler on a pool of reused threads (a2wsgi):
Django's own ASGI handler hands each request between the event loop and a
thread about forty times and opens a new database connection per request,
which measured five to seven times slower (docs/operations.md, "Server
choice"). Websockets go to Channels' async consumers.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlight.settings")

# Django must be set up before anything imports models.
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from peerlight.routing import websocket_urlpatterns  # noqa: E402

# Django's response is an iterable of bytes, as WSGI wants, though the stubs
# type it as HttpResponseBase.
http_application = WSGIMiddleware(
    django_wsgi_app,  # type: ignore[arg-type]
    workers=settings.PEERLIGHT_HTTP_THREADS,
)

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
