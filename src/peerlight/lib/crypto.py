"""Field encryption with AES-256-GCM.

Keys come from ``PEERLIGHT_ENCRYPTION_KEYS``: base64 (URL-safe) 32-byte keys,
newest first. The newest key encrypts; every listed key can decrypt, so keys
rotate by putting a new key in front and running ``peerlight rotate-keys``.
In development, when no key is configured, a key file under ``var/`` is
created and used (a system check warns about it).

A stored value reads ``pl1:<key id>:<base64 of nonce + ciphertext>``. The key
id is the first 8 hex digits of the key's SHA-256, so a value names the key it
needs without revealing it. The associated data binds a value to its column
(``app_label.model.field``): a ciphertext copied into another column does not
decrypt.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

logger = logging.getLogger(__name__)

PREFIX = "pl1"
NONCE_BYTES = 12
TAG_BYTES = 16
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@dataclass(frozen=True)
class Key:
    key_id: str
    secret: bytes

    @classmethod
    def from_text(cls, text: str) -> Key:
        """Read a key; stray characters are refused, not silently skipped."""
        secret = _strict_urlsafe_b64decode(text.strip())
        if secret is None:
            raise ImproperlyConfigured("An encryption key is not valid base64.")
        if len(secret) != 32:
            raise ImproperlyConfigured("Each encryption key must be 32 bytes (base64 encoded).")
        return cls(hashlib.sha256(secret).hexdigest()[:8], secret)


def _strict_urlsafe_b64decode(text: str) -> bytes | None:
    """Decode URL-safe base64 (padding optional), or None if it is not exactly that."""
    # The standard decoder drops characters outside the alphabet; validate=True
    # refuses them, so a mistyped key fails loudly instead of becoming another key.
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded.translate(_URLSAFE_TO_STANDARD), validate=True)
    except (binascii.Error, ValueError):
        return None


def generate_key_text() -> str:
    """A new random key in the form ``PEERLIGHT_ENCRYPTION_KEYS`` expects."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


def _local_key_texts(path: Path) -> list[str]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(generate_key_text() + "\n")
        logger.warning(
            "Created a local encryption key at %s. Back it up: without it the "
            "encrypted data cannot be read. Set PEERLIGHT_ENCRYPTION_KEYS in production.",
            path,
        )
    lines = path.read_text(encoding="ascii").split()
    return [line for line in lines if line and not line.startswith("#")]


@functools.cache
def _keys_for(configured: tuple[str, ...], local_file: str) -> tuple[Key, ...]:
    texts = list(configured) or (_local_key_texts(Path(local_file)) if local_file else [])
    if not texts:
        raise ImproperlyConfigured("No encryption key: set PEERLIGHT_ENCRYPTION_KEYS.")
    return tuple(Key.from_text(text) for text in texts)


def keys() -> tuple[Key, ...]:
    """The configured keys, newest first."""
    return _keys_for(
        tuple(settings.PEERLIGHT_ENCRYPTION_KEYS), str(settings.PEERLIGHT_LOCAL_KEY_FILE)
    )


def using_local_key_file() -> bool:
    return not settings.PEERLIGHT_ENCRYPTION_KEYS


def encrypt(plaintext: str, context: str) -> str:
    key = keys()[0]
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key.secret).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{key.key_id}:{body}"


def key_id_of(stored: str) -> str | None:
    """The id of the key a stored value was sealed with, or None if not encrypted."""
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    return parts[1]


def decrypt(stored: str, context: str) -> str:
    key_id = key_id_of(stored)
    if key_id is None:
        raise DecryptionError("The value is not in the encrypted format.")
    candidates = [key for key in keys() if key.key_id == key_id]
    if not candidates:
        raise DecryptionError(f"No configured key has id {key_id}.")
    raw = _strict_urlsafe_b64decode(stored.split(":", 2)[2])
    if raw is None or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("The value is damaged.")
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    try:
        plain = AESGCM(candidates[0].secret).decrypt(nonce, sealed, context.encode())
    except InvalidTag:
        raise DecryptionError("The value does not match its key or its column.") from None
    return plain.decode("utf-8")


def digest(value: str, purpose: str) -> str:
    """A keyed, non-reversible fingerprint for looking up an encrypted value.

    Keyed by ``SECRET_KEY`` (not the encryption keys) so that rotating the
    encryption keys leaves every fingerprint valid.
    """
    root = str(settings.SECRET_KEY).encode()
    subkey = hmac.new(root, b"peerlight.digest." + purpose.encode(), hashlib.sha256).digest()
    return hmac.new(subkey, value.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField[str, str]):
    """A text column stored encrypted at rest; Python code sees plain text.

    Encrypted columns cannot be searched or filtered by content: keep a
    ``digest()`` beside the value where an exact lookup is needed.
    """

    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, self.context())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), self.context())


def encrypted_fields() -> list[EncryptedTextField]:
    """Every encrypted column once: each field on the model whose table holds it.

    Proxy and unmanaged models are left out, and inherited fields are listed
    only on the model that declares them, so a column is never visited twice.
    """
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.local_concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
