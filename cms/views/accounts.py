"""Sign-in pages: residents with phone + one-time code, staff with username + password.

Plain forms, no JavaScript. The phone being signed in is kept in the session between the two
steps, never in the URL. All checks and limits live in ``deliberation.accounts.services``; the
staff password form (here and at ``/admin/login/``) is locked by django-axes after repeated
failures, and :func:`lockout_response` shows that on the sign-in page.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from deliberation.accounts.network import client_ip
from deliberation.accounts.services import SignInRefused, signin_code_request, signin_code_verify
from deliberation.accounts.throttle import minutes_up
from deliberation.registry.phones import mask_phone, normalise_phone

SESSION_PHONE = "sifang_signin_phone"
SESSION_NEXT = "sifang_signin_next"
SESSION_NOTICE = "sifang_signin_notice"
RATE_LIMIT_CODES = {"too_soon", "phone_rate_limited", "ip_rate_limited", "too_many_failures"}


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel", "size": 14}
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
    )


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


class SignInView(auth_views.LoginView):
    """``/accounts/login/``: the phone form for residents and the password form for staff.

    Posting here is the staff password login (Django's ``LoginView``); the phone form posts to
    :func:`code_request`.
    """

    template_name = "cms/accounts/login.html"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context.setdefault("phone_form", PhoneForm())
        return context


def _render_login(
    request: HttpRequest,
    *,
    phone_form: PhoneForm,
    error: str = "",
    password_error: str = "",
    status: int,
) -> HttpResponse:
    view = SignInView()
    view.setup(request)
    context = view.get_context_data(
        form=view.get_form_class()(request=request),
        phone_form=phone_form,
        phone_error=error,
        password_error=password_error,
    )
    return render(request, SignInView.template_name, context, status=status)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, object] | None = None,
) -> HttpResponse:
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: the sign-in page, answering 429, saying that
    password sign-in is paused. Used for ``/accounts/login/`` and ``/admin/login/`` alike; the
    message names neither the account nor whether it exists. The phone form stays usable."""
    minutes = minutes_up(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    message = _(
        "密码错误次数过多，密码登录已暂停。请 %(minutes)s 分钟后再试；"
        "忘记密码请联系社区或系统管理员重置。"
    ) % {"minutes": minutes}
    return _render_login(request, phone_form=PhoneForm(), password_error=str(message), status=429)


@require_POST
def code_request(request: HttpRequest) -> HttpResponse:
    """Send a code to the phone, then show the code form."""
    form = PhoneForm(request.POST)
    next_url = _safe_next(request, request.POST.get("next"))
    if not form.is_valid():
        return _render_login(request, phone_form=form, error=str(_("请输入手机号")), status=400)
    try:
        sent = signin_code_request(phone=form.cleaned_data["phone"], ip=client_ip(request))
    except SignInRefused as refused:
        if refused.code == "too_soon":
            # A code is on its way to this phone already: let them type it in.
            request.session[SESSION_PHONE] = normalise_phone(form.cleaned_data["phone"])
            request.session[SESSION_NEXT] = next_url
            request.session[SESSION_NOTICE] = refused.message
            return HttpResponseRedirect(reverse("signin-code-verify"))
        status = 429 if refused.code in RATE_LIMIT_CODES else 400
        return _render_login(request, phone_form=form, error=refused.message, status=status)
    request.session[SESSION_PHONE] = sent.phone
    request.session[SESSION_NEXT] = next_url
    request.session.pop(SESSION_NOTICE, None)
    return HttpResponseRedirect(reverse("signin-code-verify"))


@require_http_methods(["GET", "POST"])
def code_verify(request: HttpRequest) -> HttpResponse:
    """Check the code and sign the person in."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return HttpResponseRedirect(reverse("login"))
    form = CodeForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = signin_code_verify(
                    phone=phone, code=form.cleaned_data["code"], ip=client_ip(request)
                )
            except SignInRefused as refused:
                error = refused.message
                status = 429 if refused.code in RATE_LIMIT_CODES else 400
            else:
                target = _safe_next(
                    request, request.POST.get("next") or request.session.get(SESSION_NEXT)
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(target)
        else:
            error = str(_("请输入验证码"))
            status = 400
    return render(
        request,
        "cms/accounts/verify.html",
        {
            "form": form,
            "error": error,
            "notice": request.session.pop(SESSION_NOTICE, ""),
            "masked_phone": mask_phone(phone),
            "phone": phone,
            "next": request.session.get(SESSION_NEXT, ""),
            "login_url": reverse("login")
            + "?"
            + urlencode({"next": request.session.get(SESSION_NEXT, "/")}),
        },
        status=status,
    )
