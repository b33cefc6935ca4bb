"""Signing up and in, the account page, two-factor and the staff people pages."""

from django.urls import URLPattern, path

from peerlight.accounts import staff_views, two_factor_views, views

app_name = "accounts"

urlpatterns: list[URLPattern] = [
    path("signup/", views.signup, name="signup"),
    path("documents/<slug:purpose>/", views.consent_document, name="document"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("account/", views.account, name="account"),
    path("account/email/", views.change_email, name="email"),
    path("account/language/", views.change_language, name="language"),
    path("account/confirm/", views.confirm_password, name="confirm-password"),
    path("account/password/", views.change_password, name="password-change"),
    path("account/two-factor/", two_factor_views.two_factor_verify, name="two-factor-verify"),
    path("account/two-factor/setup/", two_factor_views.two_factor_setup, name="two-factor-setup"),
    path("password-reset/", views.password_reset, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("staff/people/", staff_views.staff_people, name="staff-people"),
    path("staff/people/<int:person_id>/", staff_views.staff_person, name="staff-person"),
    path(
        "staff/people/<int:person_id>/roles/grant/",
        staff_views.staff_grant_role,
        name="staff-grant-role",
    ),
    path(
        "staff/people/<int:person_id>/roles/revoke/",
        staff_views.staff_revoke_role,
        name="staff-revoke-role",
    ),
]
