"""Label colons follow the language: "Channel: Hotline" in English, "渠道:热线电话" in Chinese."""

import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tests.factories.base import CommunityFactory
from tests.factories.proposals import published, resident, staff

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["cms", "deliberation", "meetings", "votes"]
GLUED = re.compile(r"(%\}|\}\})[:：]")


def test_no_template_glues_a_colon_after_a_translated_label_or_value():
    glued = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in CHECKED
        for path in sorted((ROOT / app).glob("templates/**/*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if GLUED.search(re.sub(r"\{% blocktrans.*?\{% endblocktrans %\}", "", line))
    ]
    assert glued == [], "write the colon inside the msgid, or use the 'label separator' msgid"


@pytest.mark.django_db
def test_proposal_page_labels_in_english_and_chinese(client):
    community = CommunityFactory()
    proposal = published(
        community,
        author=resident(community),
        channel="hotline",
        entered_by=staff(community).user,
    )
    url = reverse("proposal-detail", args=[proposal.community.slug, proposal.pk])

    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<span>渠道:热线电话</span>" in chinese  # unchanged, byte for byte

    client.cookies["django_language"] = "en"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in english
    assert "<span>Channel: Hotline</span>" in english
    assert "Raised by: " in english


def test_full_width_colon_in_chinese_and_a_space_in_english():
    state = {
        "attendance": {
            "quorum": {"present": 5, "expected": 9, "required": 5, "met": True},
            "by_party": {"resident": {"label": "居民", "present": 3, "expected": 4}},
        }
    }
    with translation.override("zh-hans"):
        chinese = render_to_string("cms/meetings/_attendance.html", {"state": state})
    assert "到会 5 人 / 应到 9 人，法定人数 5 人：\n" in chinese
    assert "<li>居民：3/4</li>" in chinese
    with translation.override("en"):
        english = render_to_string("cms/meetings/_attendance.html", {"state": state})
    assert "5 present / 9 expected, quorum 5:\n" in english
    assert "<li>居民: 3/4</li>" in english
    assert "：" not in english
