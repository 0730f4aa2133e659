"""The street's view: street staff see every community of their street, the committee its own;
the monthly review report reads back from its PDF and its workbook."""

import datetime as dt
import io
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from deliberation.models import Category, Proposal
from tests.factories.base import BuildingFactory, CommunityFactory, MemberFactory
from tests.factories.levels import GridFactory, StreetFactory, street_staff
from tests.factories.proposals import ProposalFactory, resident, staff

pytestmark = pytest.mark.django_db


def _street(communities: int, matters: int):  # type: ignore[no-untyped-def]
    street = StreetFactory()
    made = []
    for n in range(communities):
        community = CommunityFactory(name=f"第{n}社区", street=street)
        grid = GridFactory(community=community, name="一网格")
        building = BuildingFactory(community=community, name="1号楼", grid=grid)
        BuildingFactory(community=community, name="2号楼", grid=grid)
        author = MemberFactory(community=community)
        for _ in range(matters):
            matter = ProposalFactory(community=community, author=author, category=Category.SAFETY)
            Proposal.objects.filter(pk=matter.pk).update(
                building=building,
                grid=grid,
                submitted_at=timezone.now() - dt.timedelta(days=5),
                responded_at=None,
            )
        made.append(community)
    return street, made


@pytest.mark.parametrize("size", [(2, 3), (6, 12)])
def test_street_staff_see_every_community_in_fixed_queries(
    client, django_assert_max_num_queries, size
) -> None:  # type: ignore[no-untyped-def]
    street, communities = _street(*size)
    client.force_login(street_staff(street))
    month = (timezone.localdate() - dt.timedelta(days=5)).strftime("%Y-%m")
    # The bound is the admin's own chrome (menu, user) plus a fixed number of aggregations;
    # the same bound at both sizes shows it does not grow with communities or matters.
    with django_assert_max_num_queries(55):
        response = client.get(reverse("street_dashboard"), {"month": month})
    assert response.status_code == 200
    page = response.content.decode()
    for community in communities:
        assert community.name in page
    # Every matter is five days old, unanswered, past a three-day limit: all overdue.
    assert response.context["total"].overdue == size[0] * size[1]
    assert response.context["total"].received == size[0] * size[1]


def test_the_committee_sees_its_own_community_only(client) -> None:  # type: ignore[no-untyped-def]
    _street_made, (own, other) = _street(2, 2)
    client.force_login(staff(own).user)
    page = client.get(reverse("street_dashboard")).content.decode()
    assert own.name in page and other.name not in page
    client.force_login(resident(own).user)
    response = client.get(reverse("street_dashboard"))
    # A resident has no admin access at all: Wagtail sends them to its sign-in page.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_the_monthly_review_report_reads_back(client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    street, communities = _street(2, 3)
    client.force_login(street_staff(street))
    month = (timezone.localdate() - dt.timedelta(days=5)).strftime("%Y-%m")

    pdf = client.get(reverse("street_review_pdf"), {"month": month})
    assert pdf["Content-Type"] == "application/pdf"
    path = tmp_path / "review.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"{month} 月度监督考核报告" in text
    for community in communities:
        assert community.name in text
    assert "合计" in text

    xlsx = client.get(reverse("street_review_xlsx"), {"month": month})
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("社区", "受理")
    by_name = {row[0]: row for row in rows[1:] if row and row[0]}
    for community in communities:
        assert by_name[community.name][1] == 3  # received
        assert by_name[community.name][5] == 3  # overdue
    assert by_name["合计"][1] == 6


def test_street_numbers_are_kept_until_the_next_write(client, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SIFANG_PAGE_CACHE = True
    cache.clear()
    street, communities = _street(2, 3)
    client.force_login(street_staff(street))
    month = (timezone.localdate() - dt.timedelta(days=5)).strftime("%Y-%m")
    url = reverse("street_dashboard")
    with CaptureQueriesContext(connection) as first:
        assert client.get(url, {"month": month}).context["total"].received == 6
    with CaptureQueriesContext(connection) as second:
        assert client.get(url, {"month": month}).context["total"].received == 6
    # The second request reads the aggregates from the cache.
    assert len(second.captured_queries) < len(first.captured_queries)
    matter = ProposalFactory(community=communities[0], category=Category.SAFETY)
    Proposal.objects.filter(pk=matter.pk).update(submitted_at=timezone.now() - dt.timedelta(days=5))
    response = client.get(url, {"month": month})
    assert response.context["total"].received == 7
    assert response.context["total"].overdue == 7
    cache.clear()
