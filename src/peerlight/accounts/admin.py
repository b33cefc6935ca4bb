"""The Django admin: administrators only, after two-factor, accounts read-only.

The admin site becomes django-otp's ``OTPAdminSite``, which lets in only
sessions verified with a second factor. Its own log-in form is replaced by
Peerlight's log-in and two-factor pages, so the same rate limits apply.

Accounts and role grants are shown but not edited here: changes go through
the account and staff pages, whose actions write the audit log and end
sessions where they must.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.admin import OTPAdminSite

from peerlight.accounts.guards import has_confirmed_totp, is_two_factor_verified
from peerlight.accounts.models import Role, RoleGrant, User


class PeerlightAdminSite(OTPAdminSite):  # type: ignore[misc]
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """Send people to Peerlight's own log-in and two-factor pages.

        Signed-in people who are not administrators get a 404: the admin is
        not revealed to them.
        """
        next_url = str(request.GET.get(REDIRECT_FIELD_NAME, ""))
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if not isinstance(user, User):
            return redirect_to_login(next_url)
        if not (user.is_active and user.has_role(Role.ADMIN)):
            raise Http404
        if is_two_factor_verified(request):
            return redirect(next_url)
        step = (
            "accounts:two-factor-verify"
            if has_confirmed_totp(user)
            else "accounts:two-factor-setup"
        )
        return redirect(f"{reverse(step)}?{urlencode({'next': next_url})}")


admin.site.__class__ = PeerlightAdminSite


class ReadOnlyAdmin[M: User | RoleGrant](admin.ModelAdmin[M]):
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin[User]):
    # No e-mail, digest or password hash: the admin shows what it needs to.
    list_display = ("display_name", "is_active", "is_guest", "language", "date_joined")
    list_filter = ("is_active", "is_guest")
    search_fields = ("display_name",)
    ordering = ("display_name",)
    fields = ("display_name", "is_active", "is_guest", "language", "date_joined", "last_login")
    readonly_fields = fields


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin[RoleGrant]):
    list_display = ("user", "role", "granted_by", "granted_at", "revoked_at")
    list_filter = ("role",)
    list_select_related = ("user", "granted_by")
    search_fields = ("user__display_name",)
    ordering = ("-granted_at",)
    fields = ("user", "role", "granted_by", "granted_at", "revoked_at")
    readonly_fields = fields
