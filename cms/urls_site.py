"""Site-wide routes: my matters, and the community home ``/<community>/``.

``community-home`` is one path segment, so ``cms/urls.py`` includes :data:`community_patterns`
LAST: every fixed top-level route (``/mine/``, ``/inbox/``, ``/elder-mode/`` ...) must match
before a slug does. Wagtail's page catch-all comes after all of ``cms.urls`` (config/urls.py).
"""

from django.urls import path

from cms.views import community, mine

urlpatterns = [
    path("mine/", mine.my_matters, name="my-matters"),
]

community_patterns = [
    path("<slug:community>/", community.community_home, name="community-home"),
]
