"""Form labels built at import are translated in the language of the request, not of import."""

import pytest
from django.utils import translation

from cms.forms.proposals import ProposalForm
from cms.forms.resolutions import CompleteForm, ProgressForm
from deliberation.i18n import interpolate_lazy
from deliberation.photos import MAX_PHOTOS

CASES = [
    (
        ProposalForm,
        "照片(最多 %(count)s 张,每张不超过 10 MB)",
        "Photos (up to %(count)s, 10 MB each at most)",
    ),
    (ProgressForm, "照片(最多 %(count)s 张)", "Photos (up to %(count)s)"),
    (CompleteForm, "整改后照片(最多 %(count)s 张)", "Photos after the work (up to %(count)s)"),
]


@pytest.mark.parametrize(("form_class", "chinese", "english"), CASES)
def test_photos_label_follows_the_active_language(form_class, chinese, english):
    chinese, english = (text % {"count": MAX_PHOTOS} for text in (chinese, english))
    # Render English first, then Chinese, then English again: nothing is fixed by the first use.
    for language, expected, other in [
        ("en", english, chinese),
        ("zh-hans", chinese, english),
        ("en", english, chinese),
    ]:
        with translation.override(language):
            html = str(form_class())
            assert expected in html
            assert other not in html
            bound = form_class(data={})
            assert not bound.is_valid()
            assert expected in str(bound["photos"].label_tag())


def test_interpolate_lazy_defers_translation_and_interpolation():
    from django.utils.translation import gettext_lazy

    label = interpolate_lazy(gettext_lazy("照片(最多 %(count)s 张)"), count=3)
    with translation.override("en"):
        assert str(label) == "Photos (up to 3)"
    with translation.override("zh-hans"):
        assert str(label) == "照片(最多 3 张)"
