from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cms.context_processors import ELDER_COOKIE


@require_POST
def elder_mode_toggle(request: HttpRequest) -> HttpResponse:
    """Switch the large-type mode on or off; a plain form post, so it works without JavaScript."""
    enable = request.POST.get("enable") == "1"
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        ELDER_COOKIE,
        "1" if enable else "0",
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
