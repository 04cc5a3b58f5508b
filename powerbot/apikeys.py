"""What write keys and read keys share: generation, hashed storage, lookup, revocation.

Keys are 32 random bytes, so a plain SHA-256 is a safe way to store them (there is
nothing to brute-force) and lets us find a key by its hash with one indexed query. The
key itself is shown once, when it is created, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Self, cast

from django.conf import settings
from django.db import models
from django.utils import timezone

# Writing last_used_at on every heartbeat would turn each read into a write; a minute
# of precision is plenty to tell whether a key is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def same_key(presented: str, configured: str) -> bool:
    """Constant-time comparison with a key from the environment."""
    if not configured:
        return False
    return hmac.compare_digest(hash_key(presented), hash_key(configured))


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> Self:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    PREFIX = ""  # set by each kind so a key's purpose shows in the key itself
    ENVIRONMENT_SETTING = ""  # the setting holding this kind's key from the environment

    name = models.CharField(max_length=120, help_text="Who or what holds this key.")
    prefix = models.CharField(max_length=16, editable=False, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def authenticate(cls, raw: str) -> Self | None:
        """The active key that `raw` is, if any, and mark it used.

        The key from the environment is answered with an unsaved instance named after
        its variable, so callers handle both kinds alike.
        """
        if not raw:
            return None
        if same_key(raw, getattr(settings, cls.ENVIRONMENT_SETTING)):
            return cls(name=cls.ENVIRONMENT_SETTING)
        # The manager of `cls`, whatever the subclass: its rows are of `cls`.
        key = cast("Self | None", cls.objects.active().filter(key_hash=hash_key(raw)).first())
        if key is not None:
            key.mark_used()
        return key

    @classmethod
    def is_configured(cls) -> bool:
        return bool(getattr(settings, cls.ENVIRONMENT_SETTING)) or cls.objects.active().exists()

    def set_new_key(self) -> str:
        """Give this key a fresh secret and return it: the only time it is ever seen."""
        raw = self.PREFIX + secrets.token_urlsafe(32)
        self.prefix = raw[: len(self.PREFIX) + 6]
        self.key_hash = hash_key(raw)
        return raw

    def mark_used(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_PRECISION:
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self) -> None:
        type(self).objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
