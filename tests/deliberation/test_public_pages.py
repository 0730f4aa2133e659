"""Public proposal pages: list (filters, search, pages, bounded queries), detail, second, new."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deliberation.models import Channel, Party, Proposal, ProposalStatus
from deliberation.proposals.services import OptionInput, proposal_publish, proposal_submit
from tests.factories.base import BuildingFactory, CommunityFactory, OwnershipFactory, UnitFactory
from tests.factories.proposals import (
    ProposalFactory,
    published,
    resident,
    staff,
    submitted,
    upload,
)

pytestmark = pytest.mark.django_db


def list_url(community):
    return reverse("proposal-list", args=[community.slug])


def detail_url(proposal):
    return reverse("proposal-detail", args=[proposal.community.slug, proposal.pk])


def test_list_of_1000_proposals_runs_a_bounded_number_of_queries(
    client, django_assert_max_num_queries
):
    community = CommunityFactory()
    authors = [resident(community) for _ in range(20)]
    Proposal.objects.bulk_create(
        ProposalFactory.build(community=community, author=authors[i % len(authors)])
        for i in range(1000)
    )
    with django_assert_max_num_queries(8):
        response = client.get(list_url(community))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1000
    assert len(response.context["rows"]) == 20
    with django_assert_max_num_queries(8):
        last = client.get(list_url(community), {"page": 50, "q": "议题"})
    assert len(last.context["rows"]) == 20


def test_filters_and_search():
    community = CommunityFactory()
    a = published(community, title="中心花园停车难", category="parking")
    b = published(community, title="楼道灯坏了", category="facilities")
    c = published(
        community,
        title="单元门禁",
        author=resident(community),
        channel="hotline",
        entered_by=staff(community).user,
    )
    unpublished = submitted(community, title="停车位被占")
    from django.test import Client

    client = Client()

    def titles(**params):
        response = client.get(list_url(community), params)
        assert response.status_code == 200
        return {p.title for p, _author in response.context["rows"]}

    assert titles() == {a.title, b.title, c.title}
    assert titles(q="停车") == {a.title}  # the unpublished one is never listed
    assert titles(q="中心 停车") == {a.title}
    assert titles(category="facilities") == {b.title}
    assert titles(channel=Channel.HOTLINE) == {c.title}
    assert titles(party=Party.PROPERTY) == set()
    assert titles(status=ProposalStatus.SUBMITTED) == {a.title, b.title, c.title}
    assert titles(status="bogus") == {a.title, b.title, c.title}  # bad filter is ignored
    assert unpublished.title not in titles()


def test_list_and_detail_show_masked_names_and_never_phones(client):
    community = CommunityFactory()
    author = resident(community, user__display_name="王秀英", user__phone="13912345678")
    proposal = published(community, author=author, title="健身器材损坏")
    for url in (list_url(community), detail_url(proposal)):
        body = client.get(url).content.decode()
        assert "王*英" in body
        assert "王秀英" not in body
        assert "13912345678" not in body


def test_unpublished_detail_is_hidden_from_the_public_but_shown_to_its_author(client):
    proposal = submitted(title="还在审核")
    assert client.get(detail_url(proposal)).status_code == 404
    client.force_login(proposal.author.user)
    response = client.get(detail_url(proposal))
    assert response.status_code == 200
    assert "尚未通过审核" in response.content.decode()


def test_detail_shows_options_side_by_side_with_my_household_cost(client):
    community = CommunityFactory()
    building = BuildingFactory(community=community)
    mine = UnitFactory(building=building, floor=6, number="601", area_m2=Decimal("100.00"))
    UnitFactory(building=building, floor=2, number="201", area_m2=Decimal("50.00"))
    UnitFactory(building=building, floor=1, number="101", area_m2=Decimal("50.00"))
    owner = OwnershipFactory(unit=mine).member
    manager = staff(community, Party.PROPERTY)
    proposal = proposal_submit(
        community=community,
        author=manager,
        title="加装电梯与停车方案",
        body="比较",
        options=[
            OptionInput(
                "按户均摊", cost_estimate="3000", sharing_rule="equal", pros="简单", cons="不公"
            ),
            OptionInput("按面积", cost_estimate="2000", sharing_rule="area"),
            OptionInput("电梯", cost_estimate="600", sharing_rule="floor", scope_building=building),
            OptionInput(
                "物业承担", cost_estimate="9000", sharing_rule="party", paying_party="property"
            ),
        ],
    )
    proposal_publish(proposal=proposal, actor=staff(community).user)
    anonymous = client.get(detail_url(proposal)).content.decode()
    assert "简单" in anonymous and "不公" in anonymous and "3,000.00 元" in anonymous
    assert "您家需分摊" not in anonymous
    client.force_login(owner.user)
    response = client.get(detail_url(proposal))
    pays = {option.title: cost for option, cost in response.context["options"]}
    assert pays == {
        "按户均摊": Decimal("1000.00"),
        "按面积": Decimal("1000.00"),
        "电梯": Decimal("500.00"),  # floor 6 weight 5 of 5+1+0
        "物业承担": Decimal("0.00"),
    }
    assert "您家需分摊" in response.content.decode()


def test_detail_shows_photos_and_the_public_timeline(client):
    community = CommunityFactory()
    proposal = submitted(community, title="垃圾桶满溢", photos=[upload("a.jpg")])
    committee = staff(community, organisation="民主村社区居委会")
    from deliberation.proposals.services import proposal_accept

    proposal_accept(
        proposal=proposal,
        actor=committee.user,
        category="sanitation",
        responsible_party="property",
        note="转物业",
    )
    proposal_publish(proposal=proposal, actor=committee.user)
    response = client.get(detail_url(proposal))
    body = response.content.decode()
    assert proposal.photos.get().image.url in body
    labels = [entry.label for entry in response.context["timeline"]]
    assert labels[:2] == ["已提交", "已受理"]
    assert "审核通过,公开发布" in labels
    assert "民主村社区居委会" in body and "转物业" in body


def test_second_once_and_the_count_shows(client):
    proposal = published()
    neighbour = resident(proposal.community)
    client.force_login(neighbour.user)
    url = reverse("proposal-second", args=[proposal.community.slug, proposal.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    assert proposal.seconds.count() == 1
    body = client.get(detail_url(proposal)).content.decode()
    assert "1 位居民附议" in body and "您已附议" in body


def test_anonymous_cannot_second(client):
    proposal = published()
    url = reverse("proposal-second", args=[proposal.community.slug, proposal.pk])
    response = client.post(url)
    assert response.status_code == 302 and "login" in response["Location"]
    assert proposal.seconds.count() == 0


def test_resident_raises_a_matter_with_a_plain_form(client):
    community = CommunityFactory()
    author = resident(community)
    client.force_login(author.user)
    url = reverse("proposal-new", args=[community.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert "behalf-channel" not in page.content.decode()  # residents get no staff fields
    response = client.post(
        url,
        {
            "title": "小区大门坏了",
            "body": "推不动",
            "category": "facilities",
            "location": "南门",
            "photos": [upload("a.jpg", gps=True), upload("b.jpg")],
        },
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(title="小区大门坏了")
    assert proposal.author == author and not proposal.live
    assert proposal.photos.count() == 2


def test_bad_input_keeps_what_was_typed(client):
    community = CommunityFactory()
    client.force_login(resident(community).user)
    url = reverse("proposal-new", args=[community.slug])
    bad_photo = upload("x.jpg")
    bad_photo.file = __import__("io").BytesIO(b"not an image")
    bad_photo.size = 12
    response = client.post(
        url,
        {"title": "保留的标题", "body": "保留的内容", "category": "other", "photos": [bad_photo]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "保留的标题" in body and "保留的内容" in body and "不是可识别的图片" in body
    assert not Proposal.objects.exists()


def test_staff_enter_on_behalf_naming_channel_and_resident(client):
    community = CommunityFactory()
    elder = resident(community, user__phone="13800001111")
    committee = staff(community)
    client.force_login(committee.user)
    url = reverse("proposal-new", args=[community.slug])
    response = client.post(
        url,
        {
            "title": "老人来电:楼道扶手松动",
            "body": "请尽快修理",
            "category": "safety",
            "behalf-on_behalf": "on",
            "behalf-channel": "hotline",
            "behalf-resident": "13800001111",
        },
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.author == elder
    assert proposal.entered_by == committee.user
    assert proposal.channel == "hotline"


def test_property_staff_submit_several_options_through_the_form(client):
    community = CommunityFactory()
    client.force_login(staff(community, Party.PROPERTY).user)
    url = reverse("proposal-new", args=[community.slug])
    page = client.get(url).content.decode()
    assert "option-0-title" in page
    response = client.post(
        url,
        {
            "title": "停车三方案",
            "body": "请业主选择",
            "category": "parking",
            "option-0-title": "划线停车",
            "option-0-cost_estimate": "36000",
            "option-0-sharing_rule": "area",
            "option-0-pros": "清晰",
            "option-1-title": "错时共享",
            "option-1-cost_estimate": "8000",
            "option-1-sharing_rule": "equal",
            "option-1-image": upload("plan.jpg"),
        },
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert [o.title for o in proposal.options.all()] == ["划线停车", "错时共享"]
    assert proposal.options.get(title="错时共享").image


def test_non_members_cannot_raise(client):
    community = CommunityFactory()
    client.force_login(resident(CommunityFactory()).user)
    response = client.get(reverse("proposal-new", args=[community.slug]))
    assert response.status_code == 403


def test_unknown_community_is_404(client):
    assert client.get("/no-such-place/proposals/").status_code == 404
