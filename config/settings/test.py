"""Test overlay: fast hashing, immediate tasks, console code sender. Backends come from the env."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SIFANG_OTP_SENDER = "deliberation.accounts.senders.ConsoleSender"
# Tests speak to the application directly; a deployment's proxy setting must not leak in.
SIFANG_PROXY_COUNT = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Off unless a test turns it on (tests/cms/test_page_cache.py): a test that changes settings or
# the clock between two requests for the same page must see the page rendered afresh.
SIFANG_PAGE_CACHE = False
