"""Production settings for the task worker (``manage.py db_worker``): no ``daphne``.

daphne's app config imports its server (Twisted, ~25 MB) at start-up; a worker never serves
HTTP, and without it the minutes render stays within 1.3x of bare WeasyPrint's memory
(docs/performance.md, "Minutes PDF").
"""

from .production import *  # noqa: F403
from .production import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "daphne"]
