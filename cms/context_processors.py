from django.http import HttpRequest

ELDER_COOKIE = "sifang_elder"


def elder_mode(request: HttpRequest) -> dict[str, bool]:
    """Expose the persisted 长辈版 / 大字 choice to every template."""
    return {"elder_mode": request.COOKIES.get(ELDER_COOKIE) == "1"}
