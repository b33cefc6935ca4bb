"""Pages that belong to no single app: home and "Need help now?"."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_safe
def need_help(request: HttpRequest) -> HttpResponse:
    return render(request, "need_help.html")
