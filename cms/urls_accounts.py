"""Sign-in routes: ``login`` offers phone + code (residents) and password (staff)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from cms.views import accounts

urlpatterns = [
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/code/", accounts.code_request, name="signin-code-request"),
    path("accounts/code/verify/", accounts.code_verify, name="signin-code-verify"),
]
