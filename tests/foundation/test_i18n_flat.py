"""Flat translation catalogues (config/i18n.py) and kept choice labels (config/choices.py), issue
16 point 1: a gettext lookup is one dictionary hit, with exactly the answers Django's chain of
catalogues gives, in both languages."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import trans_real

from config import choices, i18n
from deliberation.models import Proposal, ProposalStatus


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_language_is_one_dictionary(language: str) -> None:
    flat = trans_real.translation(language)
    assert isinstance(flat._catalog, i18n.FlatCatalog)
    assert flat._fallback is None


def _chain_msgids(chain: trans_real.DjangoTranslation) -> set[str]:
    msgids: set[str] = set()
    node = chain
    while node is not None:
        for key in list(node._catalog.keys()):  # a catalogue object, not a dict
            msgids.add(key if isinstance(key, str) else key[0])
        node = node._fallback
    return msgids


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_msgid_translates_as_djangos_own_chain_does(language: str) -> None:
    flat = trans_real.translation(language)
    chain = trans_real.DjangoTranslation(language)  # built afresh, not flattened
    assert not isinstance(chain._catalog, i18n.FlatCatalog)
    msgids = _chain_msgids(chain) | {"没有这条", "No such string"}
    assert len(msgids) > 1000
    for msgid in msgids:
        assert flat.gettext(msgid) == chain.gettext(msgid), msgid
        for number in (0, 1, 2, 5, 21, 101):
            assert flat.ngettext(msgid, msgid + "s", number) == chain.ngettext(
                msgid, msgid + "s", number
            ), (msgid, number)


def test_a_chinese_msgid_renders_its_english_translation_under_en() -> None:
    with translation.override("en"):
        assert _("会议纪要不存在") == "The minutes do not exist"
    with translation.override("zh-hans"):
        assert _("会议纪要不存在") == "会议纪要不存在"


def test_wagtail_admin_strings_stay_chinese_under_zh_hans() -> None:
    with translation.override("zh-hans"):
        assert _("Dashboard") == "控制面板"  # Wagtail's own catalogue
        assert _("Go to the first error") == "跳到第一个错误"  # cms fills Wagtail's gaps
    with translation.override("en"):
        assert _("Dashboard") == "Dashboard"


@pytest.mark.django_db
def test_the_wagtail_sign_in_page_is_chinese_and_english() -> None:
    chinese = Client().get("/admin/login/").content.decode()
    assert "登录" in chinese
    english = Client().get("/admin/login/", headers={"accept-language": "en"}).content.decode()
    assert "Sign in" in english


def test_choice_labels_are_looked_up_in_the_request_language() -> None:
    assert Proposal.__dict__["get_status_display"].func is choices.display
    proposal = Proposal(status=ProposalStatus.ACCEPTED)
    with translation.override("zh-hans"):
        assert proposal.get_status_display() == "已受理"
    with translation.override("en"):
        assert proposal.get_status_display() == "Accepted"
    assert Proposal(status="no-such-status").get_status_display() == "no-such-status"
