"""URL conf of ``bench/http_settings.py``: Sifang's, plus the bare view behind Sifang's
middleware."""

from django.urls import path

from bench.http_bare import bare_page
from config.urls import urlpatterns as sifang_urlpatterns

urlpatterns = [path("bench/bare-stack/", bare_page), *sifang_urlpatterns]
