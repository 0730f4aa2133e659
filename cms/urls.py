"""Public routes that render the domain (DESIGN.md "Public URLs"). One list per area."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import site

urlpatterns = [
    path("elder-mode/", site.elder_mode_toggle, name="elder-mode"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="cms/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("cms.urls_proposals")),
    path("", include("cms.urls_polls")),
    path("", include("cms.urls_documents")),
]
