"""Forms for signing up, signing in, passwords, e-mail, two-factor and roles.

Fields carry the ``autocomplete`` values browsers and password managers
expect. Error messages are tied to their field by Django's form rendering
(``aria-describedby`` pointing at ``<id>_error``).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from peerlight.accounts.models import ConsentDocument, Role, User
from peerlight.lib.forms import PlainForm

DISPLAY_NAME_MIN = 2
DISPLAY_NAME_MAX = 40
# Letters and digits of any script, spaces, dots, underscores and hyphens.
ALLOWED_CHARACTERS = re.compile(r"^[\w .\-]+$")
LOOKS_LIKE_DOMAIN = re.compile(
    r"[^\W_]\.(?:com|net|org|edu|gov|info|io|co|me|uk|us|ca|es|mx|de|fr)\b", re.IGNORECASE
)
# Seven digits or more, whatever separates them, reads as a phone number.
PHONE_DIGITS = 7

CODE_LENGTH = 6

LENGTH_MESSAGE = format_lazy(
    _("Please use between {minimum} and {maximum} characters."),
    minimum=DISPLAY_NAME_MIN,
    maximum=DISPLAY_NAME_MAX,
)


def normalise_display_name(value: str) -> str:
    """Trim the ends and fold runs of spaces into one."""
    return " ".join(value.split())


def validate_display_name(name: str) -> None:
    """Refuse names that break the rules or seem to identify the person.

    The refusal for e-mail- or phone-like names is gentle: it explains that
    the name is shown to others, so it is safer when it does not say who
    someone is.
    """
    if len(name) < DISPLAY_NAME_MIN or len(name) > DISPLAY_NAME_MAX:
        raise ValidationError(LENGTH_MESSAGE, code="length")
    if "@" in name or LOOKS_LIKE_DOMAIN.search(name):
        raise ValidationError(
            _(
                "This looks like an e-mail address. Your name is shown to other people, "
                "so please choose one that does not say who you are."
            ),
            code="looks_like_email",
        )
    if sum(character.isdigit() for character in name) >= PHONE_DIGITS:
        raise ValidationError(
            _(
                "This looks like a phone number. Your name is shown to other people, "
                "so please choose one that does not say who you are."
            ),
            code="looks_like_phone",
        )
    if not ALLOWED_CHARACTERS.fullmatch(name) or not any(c.isalnum() for c in name):
        raise ValidationError(
            _(
                "Please use letters or numbers, with spaces, dots, hyphens or underscores "
                "between them if you like."
            ),
            code="characters",
        )


def display_name_taken(name: str, *, exclude: User | None = None) -> bool:
    others = User.objects.filter(display_name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def _language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class AgreementForm(PlainForm):
    """The two agreements everyone makes to use Peerlight, with links to the texts.

    Signing up and continuing as a guest ask for the same agreements.
    """

    agree_terms = forms.BooleanField(label=_("I agree to the terms of use"))
    agree_privacy = forms.BooleanField(label=_("I have read the privacy notice"))

    def __init__(
        self,
        *args: Any,
        terms: ConsentDocument | None = None,
        privacy: ConsentDocument | None = None,
        terms_url: str = "",
        privacy_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if terms is not None:
            self.fields["agree_terms"].help_text = format_html(
                '<a href="{}">{}</a>', terms_url, _("Read the terms of use")
            )
        if privacy is not None:
            self.fields["agree_privacy"].help_text = format_html(
                '<a href="{}">{}</a>', privacy_url, _("Read the privacy notice")
            )


class SignupForm(AgreementForm):
    field_order = [
        "display_name",
        "password",
        "password_again",
        "email",
        "language",
        "agree_terms",
        "agree_privacy",
    ]

    display_name = forms.CharField(
        label=_("Display name"),
        help_text=_(
            "Shown to other people and used to sign in. It does not need to be your real name."
        ),
        max_length=DISPLAY_NAME_MAX,
        error_messages={"max_length": LENGTH_MESSAGE},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        help_text=_("At least 10 characters. A few unrelated words are easy to remember."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        help_text=_(
            "Only used to reset your password and, if you want, to send you notices. "
            "Never shown to anyone."
        ),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)

    def account_fields(self) -> dict[str, str]:
        """The cleaned values ``actions.create_account`` takes."""
        return {
            "display_name": self.cleaned_data["display_name"],
            "password": self.cleaned_data["password"],
            "email": self.cleaned_data["email"],
            "language": self.cleaned_data["language"],
        }

    def clean_display_name(self) -> str:
        name = normalise_display_name(self.cleaned_data["display_name"])
        validate_display_name(name)
        if display_name_taken(name):
            raise ValidationError(
                _("Someone already uses this name. Please choose another."), code="taken"
            )
        return name

    def clean_email(self) -> str:
        return str(self.cleaned_data.get("email") or "").strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        again = cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords are not the same."))
        elif password:
            candidate = User(
                display_name=cleaned.get("display_name", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class LoginForm(PlainForm):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=DISPLAY_NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    # The same words whether the name is unknown or the password wrong, so
    # the form does not tell anyone which names exist.
    invalid_login = _("That name and password do not match. Please try again.")

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = cleaned.get("display_name")
        password = cleaned.get("password")
        if name and password:
            user = authenticate(self.request, username=name.strip(), password=password)
            if not isinstance(user, User):
                # Shown beside the password field and linked to it.
                self.add_error("password", ValidationError(self.invalid_login, code="invalid"))
            else:
                self.user = user
        return cleaned


class ConfirmPasswordForm(PlainForm):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise ValidationError(_("That password is not right."), code="wrong_password")
        return password


class NewPasswordMixin(PlainForm):
    """Two new-password fields checked against Django's password validators."""

    new_password = forms.CharField(
        label=_("New password"),
        help_text=_("At least 10 characters. A few unrelated words are easy to remember."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    user: User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("new_password")
        again = cleaned.get("new_password_again")
        if password and again and password != again:
            self.add_error("new_password_again", _("The two passwords are not the same."))
        elif password:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as error:
                self.add_error("new_password", error)
        return cleaned


class SetPasswordForm(NewPasswordMixin):
    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user


class PasswordChangeForm(NewPasswordMixin):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    field_order = ["current_password", "new_password", "new_password_again"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self) -> str:
        password = str(self.cleaned_data["current_password"])
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your current password."), code="wrong_password")
        return password


class PasswordResetRequestForm(PlainForm):
    email = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class EmailForm(PlainForm):
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("Leave empty to remove your e-mail address."),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data.get("email") or "").strip()


class LanguageForm(PlainForm):
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)


class OneTimeCodeForm(PlainForm):
    code = forms.CharField(
        label=_("Six-digit code"),
        help_text=_("Open your authenticator app and type the code it shows now."),
        min_length=CODE_LENGTH,
        max_length=CODE_LENGTH + 2,  # room for a space in the middle
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if len(code) != CODE_LENGTH or not code.isdigit():
            raise ValidationError(_("Please type the six digits."), code="format")
        return code


# Every role but "member", which every account holds without a grant.
GRANTABLE_ROLE_CHOICES = [(role.value, role.label) for role in Role if role != Role.MEMBER]


class RoleForm(PlainForm):
    role = forms.ChoiceField(label=_("Role"), choices=GRANTABLE_ROLE_CHOICES)
