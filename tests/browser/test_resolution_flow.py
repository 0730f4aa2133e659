"""Property staff post progress with a photo and complete in the admin; a resident signs in and
rates on the public page, which shows the whole timeline and passes axe-core."""

import datetime as dt
import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page

from deliberation.accounts.senders import ConsoleSender
from deliberation.models import Party, PhotoStage, Rating, Resolution
from deliberation.registry.rules import Role
from deliberation.resolutions.services import resolution_create
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from tests.factories.resolutions import DecidedProposalFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(
        page,
        options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
    )
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]
    ]


@pytest.fixture
def scene(tmp_path):
    call_command("ensure_roles")
    community = CommunityFactory(slug="liuli", name="琉璃社区")
    staff_user = UserFactory(username="wuye-li", display_name="李经理")
    staff_user.groups.add(Group.objects.get(name=Role.PROPERTY))
    MemberFactory(
        community=community, user=staff_user, party=Party.PROPERTY, organisation="琉璃物业"
    )
    resident_user = UserFactory(phone="13912345678", display_name="王秀兰")
    MemberFactory(community=community, user=resident_user, party=Party.RESIDENT)
    resolution = resolution_create(
        proposal=DecidedProposalFactory(community=community, title="单元门禁损坏"),
        decision="物业在 10 天内更换 3 单元门禁。",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=10),
        actor=None,
    )
    photo = tmp_path / "menjin.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (150, 40, 40)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    return {"community": community, "resolution": resolution, "photo": photo}


def test_progress_photo_completion_and_rating(live_server, new_context, scene) -> None:
    resolution = scene["resolution"]
    # --- property staff, desktop, in the admin ---
    staff = new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.goto(live_server.url + "/admin/login/")
    staff.locator("#id_username").fill("wuye-li")
    staff.locator("#id_password").fill("sifang-test-pass")
    staff.locator("form button[type=submit]").first.click()
    staff.wait_for_url(live_server.url + "/admin/")
    staff.goto(f"{live_server.url}/admin/resolutions/{resolution.pk}/")
    staff.get_by_label("进展说明").fill("已拆除旧门禁,新门禁到货。")
    staff.get_by_label("完成进度(%)").fill("60")
    staff.get_by_label("照片拍摄阶段").select_option(PhotoStage.BEFORE)
    staff.locator("#id_progress-photos").set_input_files(str(scene["photo"]))
    staff.get_by_role("button", name="发布进展").click()
    staff.wait_for_url(f"**/admin/resolutions/{resolution.pk}/")
    assert staff.get_by_text("进展已发布。").is_visible()
    staff.get_by_label("办结报告").fill("新门禁已安装调试完毕。")
    staff.locator("#id_complete-photos").set_input_files(str(scene["photo"]))
    staff.get_by_role("button", name="办结").click()
    staff.wait_for_url(f"**/admin/resolutions/{resolution.pk}/")
    assert staff.get_by_text("已办结,满意度测评开始。").is_visible()
    resolution.refresh_from_db()
    assert resolution.status == "completed"
    stages = sorted(p.stage for u in resolution.updates.all() for p in u.photos.all())
    assert stages == [PhotoStage.AFTER, PhotoStage.BEFORE]

    # --- resident, phone, signs in with a code and rates on the public page ---
    page = new_context().new_page()
    detail = f"{live_server.url}/{scene['community'].slug}/resolutions/{resolution.pk}/"
    page.goto(detail)
    assert page.get_by_role("heading", name="单元门禁损坏").is_visible()
    for step in ["提出议题", "形成决议", "办理进展", "办结报告"]:
        assert page.locator(".resolution-timeline").get_by_text(step).first.is_visible()
    assert page.get_by_role("img", name="整改前照片").count() == 1
    assert page.get_by_role("img", name="整改后照片").count() == 1
    assert axe_violations(page) == []
    page.get_by_role("link", name="登录后评价").click()
    ConsoleSender.outbox.clear()
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/accounts/code/verify/")
    page.get_by_label("验证码").fill(ConsoleSender.outbox[-1].code)
    page.get_by_role("button", name="登录").click()
    page.goto(detail)
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("意见(选填)").fill("门禁好用了,谢谢。")
    button = page.get_by_role("button", name="提交评价")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    button.click()
    page.wait_for_url(detail + "#rating")
    assert page.get_by_text("您的评价:满意").is_visible()
    assert page.get_by_text("门禁好用了,谢谢。").is_visible()
    assert axe_violations(page) == []
    rating = Rating.objects.get()
    assert (rating.score, rating.channel) == ("satisfied", "online")
    assert Resolution.objects.get(pk=resolution.pk).status == "completed"
