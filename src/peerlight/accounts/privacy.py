"""The privacy registry: what each model holds about a person, and how it leaves.

Every model with a field that points at the user model (a ``ForeignKey``,
``OneToOneField`` or ``ManyToManyField`` to ``AUTH_USER_MODEL``) must be
registered here; a test walks every installed model and fails, naming the
model and the field, when one is not. Registering says two things:

* ``export``: a callable taking the user and returning JSON-serialisable data
  (dates, datetimes, decimals and lazy strings are accepted too) for "Download
  my data", or None when the model holds nothing worth handing back.
* ``erase``: an ``ErasurePolicy`` saying what happens to the rows when the
  person deletes their account:

  - ``ErasurePolicy.delete()``: rows in which a user field points at the
    person are deleted; many-to-many links to the person are removed (the
    row holding the relation stays).
  - ``ErasurePolicy.keep_pseudonymised(reason)``: rows stay; user fields that
    point at the person are set to NULL (they must be nullable) and
    many-to-many links are removed. ``reason`` says why the rows are kept and
    is shown to the person on the deletion page.
  - ``ErasurePolicy.custom(handler, reason=...)``: ``handler(user)`` does the
    work, for rows that need more care (e.g. rows the person made about
    someone else). ``reason`` is shown on the deletion page.

An app registers its models from its ``AppConfig.ready()``::

    from django.apps import AppConfig
    from django.utils.translation import gettext_lazy as _


    class CirclesConfig(AppConfig):
        name = "peerlight.circles"

        def ready(self) -> None:
            from peerlight.accounts import privacy
            from peerlight.circles.models import Membership

            def export_memberships(user):
                rows = Membership.objects.filter(user=user).select_related("circle")
                return [{"circle": m.circle.name, "joined_at": m.joined_at} for m in rows]

            privacy.register(
                Membership,
                export=export_memberships,
                erase=privacy.ErasurePolicy.delete(),
                description=_("The circles you joined"),
            )

The foundation's own models (roles, consent answers, two-factor devices, the
admin history and the security log) are registered the same way, from
``privacy_registrations``.

``erase_account(user)`` applies every policy in one transaction, deletes the
user row last and refuses to finish (rolling everything back) if any row
still points at the person. ``build_export(user)`` collects every export.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise

from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.audit.actions import record_change

type Exporter = Callable[[User], Any]
type ErasureHandler = Callable[[User], None]
type UserField = models.ForeignKey[Any, Any] | models.ManyToManyField[Any, Any]

EXPORT_FORMAT = "peerlight-personal-data"
EXPORT_FORMAT_VERSION = 1


class ErasureAction(StrEnum):
    DELETE = "delete"
    KEEP_PSEUDONYMISED = "keep_pseudonymised"
    CUSTOM = "custom"


@dataclass(frozen=True)
class ErasurePolicy:
    """What erasing an account does to one model's rows (see the module docstring)."""

    action: ErasureAction
    reason: str | Promise = ""
    handler: ErasureHandler | None = None

    def __post_init__(self) -> None:
        if self.action != ErasureAction.DELETE and not str(self.reason).strip():
            raise ImproperlyConfigured("Keeping rows or custom erasure needs a written reason.")
        if (self.action == ErasureAction.CUSTOM) != (self.handler is not None):
            raise ImproperlyConfigured("A handler goes with custom erasure, and only with it.")

    @classmethod
    def delete(cls) -> ErasurePolicy:
        return cls(ErasureAction.DELETE)

    @classmethod
    def keep_pseudonymised(cls, reason: str | Promise) -> ErasurePolicy:
        return cls(ErasureAction.KEEP_PSEUDONYMISED, reason)

    @classmethod
    def custom(cls, handler: ErasureHandler, *, reason: str | Promise) -> ErasurePolicy:
        return cls(ErasureAction.CUSTOM, reason, handler)


@dataclass(frozen=True)
class Registration:
    model: type[models.Model]
    export: Exporter | None
    erase: ErasurePolicy
    description: str | Promise

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_registry: dict[str, Registration] = {}


def register(
    model: type[models.Model],
    *,
    export: Exporter | None,
    erase: ErasurePolicy,
    description: str | Promise | None = None,
) -> Registration:
    """Say how ``model``'s rows about a person are exported and erased.

    ``description`` names the data for the person ("The circles you joined");
    it defaults to the model's plural verbose name. Registering a model twice
    is a configuration error.
    """
    label = model._meta.label_lower
    if label in _registry:
        raise ImproperlyConfigured(f"{label} is already registered for privacy.")
    if erase.action == ErasureAction.KEEP_PSEUDONYMISED:
        for field in user_fields(model):
            if not field.many_to_many and not field.null:
                raise ImproperlyConfigured(
                    f"{label}.{field.name} must be nullable to be kept pseudonymised."
                )
    registration = Registration(
        model, export, erase, description or model._meta.verbose_name_plural or label
    )
    _registry[label] = registration
    return registration


def registrations() -> list[Registration]:
    """Every registration, in the order the models were registered."""
    return list(_registry.values())


def registry() -> Mapping[str, Registration]:
    return dict(_registry)


# --- Relations to the user model --------------------------------------------


def user_fields(model: type[models.Model]) -> list[UserField]:
    """The fields declared on ``model`` that point at the user model."""
    user_model = get_user_model()
    declared: Iterable[models.Field[Any, Any]] = [
        *model._meta.local_fields,
        *model._meta.local_many_to_many,
    ]
    return [
        field
        for field in declared
        if isinstance(field, models.ForeignKey | models.ManyToManyField)
        and field.remote_field.model is user_model
    ]


def uncovered_user_references(
    covered: Mapping[str, Registration] | None = None,
) -> list[str]:
    """``app_label.model.field`` for every user reference of an unregistered model.

    Auto-created many-to-many tables are covered by the model declaring the
    relation, and are not listed on their own.
    """
    covered = _registry if covered is None else covered
    return [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.label_lower not in covered
        for field in user_fields(model)
    ]


def rows_pointing_at(user_id: int) -> dict[str, int]:
    """How many rows of each table still point at ``user_id``, where any do.

    Walks every foreign key and one-to-one field to the user model, including
    those of many-to-many tables.
    """
    found = {}
    for model in apps.get_models(include_auto_created=True):
        for field in user_fields(model):
            if field.many_to_many:
                continue
            count = model._base_manager.filter(**{field.attname: user_id}).count()
            if count:
                found[f"{model._meta.label}.{field.name}"] = count
    return found


# --- Export -------------------------------------------------------------------


def build_export(user: User) -> dict[str, Any]:
    """Everything linked to ``user``, as one JSON-ready document."""
    sections = {
        registration.label: {
            "description": str(registration.description),
            "records": registration.export(user),
        }
        for registration in registrations()
        if registration.export is not None
    }
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "site_name": settings.PEERLIGHT_SITE_NAME,
        "generated_at": timezone.now(),
        "account": export_account(user),
        "sections": sections,
    }


def export_account(user: User) -> dict[str, Any]:
    # The password is a one-way hash and the e-mail digest is derived from
    # the e-mail: neither tells the person anything, both help an attacker.
    return {
        "id": user.pk,
        "display_name": user.display_name,
        "email": user.email,
        "language": user.language,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "is_guest": user.is_guest,
        "roles": sorted(user.role_set()),
    }


# --- Erasure ------------------------------------------------------------------


class ErasureIncompleteError(RuntimeError):
    """Rows still point at the person after every policy ran."""


class LastAdministratorError(Exception):
    """The only active administrator cannot erase their account."""


def is_last_administrator(user: User) -> bool:
    """True when ``user`` is the only active administrator left.

    Erasing that account would leave nobody able to configure the service.
    """
    if not user.has_role(Role.ADMIN):
        return False
    others = RoleGrant.objects.filter(
        role=Role.ADMIN, revoked_at__isnull=True, user__is_active=True
    ).exclude(user=user)
    return not others.exists()


def erase_account(user: User) -> int:
    """Erase ``user`` and everything registered about them; return the erased id.

    In one transaction: every registered model is handled by its policy, the
    check that no row points at the person any more, the deletion of the user
    row, one audit entry ``accounts.account_erased`` (actor and subject: the
    erased id) and the end of every session of the account. Refuses
    (``LastAdministratorError``) to erase the only active administrator.
    """
    user_id = int(user.pk)
    with transaction.atomic():
        if is_last_administrator(user):
            raise LastAdministratorError
        for registration in registrations():
            _apply_policy(registration, user)
        leftovers = rows_pointing_at(user_id)
        if leftovers:
            raise ErasureIncompleteError(f"Rows still point at the account: {leftovers}")
        User._base_manager.filter(pk=user_id).delete()
        target = (User._meta.label_lower, str(user_id))
        record_change(user, "accounts.account_erased", target, subject=user)
        end_sessions_of(user_id)
    return user_id


def _apply_policy(registration: Registration, user: User) -> None:
    policy = registration.erase
    if policy.action == ErasureAction.CUSTOM:
        assert policy.handler is not None
        policy.handler(user)
        return
    model = registration.model
    fields = user_fields(model)
    for field in fields:
        if isinstance(field, models.ManyToManyField):
            through = getattr(model, field.name).through
            through._base_manager.filter(**{field.m2m_reverse_field_name(): user.pk}).delete()
    direct = [field for field in fields if not field.many_to_many]
    if policy.action == ErasureAction.DELETE and direct:
        pointing = functools.reduce(Q.__or__, (Q(**{field.attname: user.pk}) for field in direct))
        model._base_manager.filter(pointing).delete()
    elif policy.action == ErasureAction.KEEP_PSEUDONYMISED:
        for field in direct:
            model._base_manager.filter(**{field.attname: user.pk}).update(**{field.attname: None})


def end_sessions_of(user_id: int) -> int:
    """End every stored session of ``user_id``; return how many.

    Only database-backed session engines can be searched. Session data is
    encoded, so every live session is read: acceptable for an erasure, which
    is rare. With other engines a session outlives the account but signs
    nobody in, as the account no longer exists.
    """
    store_class: Any = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    ended = 0
    live = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for session in _iterate(live):
        if session.get_decoded().get(SESSION_KEY) == str(user_id):
            store_class(session_key=session.session_key).delete()
            ended += 1
    return ended


def _iterate(queryset: models.QuerySet[Any]) -> Iterator[Any]:
    yield from queryset.iterator(chunk_size=500)
