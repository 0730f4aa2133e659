"""Settings for a render-only worker process: the base settings without ``daphne``.

``daphne``'s app config imports its server (Twisted and the asyncio reactor, about 25 MB) at
start-up; a ``db_worker`` process never serves HTTP, so it has no use for it. Used by
``bench/minutes_pdf.py --settings bench.minutes_worker_settings`` to measure the difference.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "daphne"]
