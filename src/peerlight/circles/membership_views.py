"""Views of this part of circles (filled in)."""

from typing import Any

urlpatterns: list[Any] = []
