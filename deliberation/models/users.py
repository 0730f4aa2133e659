from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: residents with phone + one-time code, staff with a password."""

    phone = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username
