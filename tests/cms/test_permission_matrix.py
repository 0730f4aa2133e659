"""The permission matrix (issue 12 point 3), generated, not hand-picked.

Every URL pattern of the URL conf and every operation of the OpenAPI schema is enumerated and
must have a row in ``cms.access`` (a new URL without one fails here, and so does a row for a
pattern that no longer exists). Each is tried with GET and POST by anonymous visitors, a
resident, an owner, a tenant, property, department and committee staff of community A and
committee and property staff of community B, against objects of both communities, published
and not; the expected answer comes from the table's rule. Websocket commands:
``test_permission_matrix_ws.py``.

An answer is *allowed* (2xx; a redirect that is not to a sign-in page nor to the admin home
with Wagtail's permission message; 400/409 form or state errors of a view the person reached),
*refused* (401/403/404, the redirect to a sign-in page, Wagtail's redirect to the admin home
with its permission message) or *neutral* (405: the method is not served, nothing happened).
500 always fails. Each request runs in a savepoint rolled back afterwards, so the world, built
once per module, is reused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.models import WorkflowState

from cms.access import API_ACCESS, ROUTE, URL_ACCESS, Row, Who
from deliberation.models import Party
from tests.cms.matrix_world import ACTORS, Actor, Target, World, allows, build_world, targets

# --- enumeration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or ROUTE + the route of an unnamed pattern
    pattern: URLPattern
    route: str

    @property
    def arguments(self) -> list[str]:
        text = str(self.pattern.pattern)
        named = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", text)
        return [a or b for a, b in named]


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        else:
            route = prefix + str(entry.pattern)
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                key = ROUTE + route
            yield Route(key, entry, route)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver()))


def _operations() -> list[dict[str, Any]]:
    from cms.api import api

    schema = api.get_openapi_schema()
    out = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            out.append({**op, "path": path, "method": method})
    return out


def _url_names_of_operations() -> set[str]:
    """Every ``api:`` URL name served by an operation (ninja names a URL after its view)."""
    from cms.api import api

    names = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                names.add(f"api:{operation.view_func.__name__}")
    return names


ROUTES = all_routes()


def test_every_url_pattern_has_a_row() -> None:
    operations = _url_names_of_operations()
    missing = sorted({r.key for r in ROUTES if r.key not in URL_ACCESS and r.key not in operations})
    assert not missing, "URL patterns without a row in cms/access.py URL_ACCESS: " + ", ".join(
        missing
    )


def test_every_row_names_an_existing_pattern() -> None:
    keys = {r.key for r in ROUTES}
    stale = sorted(set(URL_ACCESS) - keys)
    assert not stale, "rows of cms/access.py URL_ACCESS naming no URL pattern: " + ", ".join(stale)


def test_every_api_operation_has_a_row_and_every_row_an_operation() -> None:
    ids = {op["operationId"] for op in _operations()}
    missing = sorted(ids - set(API_ACCESS))
    stale = sorted(set(API_ACCESS) - ids)
    assert not missing, "API operations without a row in cms/access.py API_ACCESS: " + ", ".join(
        missing
    )
    assert not stale, "rows of API_ACCESS naming no operation: " + ", ".join(stale)


# --- the world, the clients ----------------------------------------------------------------------


@dataclass
class Stage:
    world: World
    clients: dict[str, Client]


@pytest.fixture(autouse=True)
def _media_root() -> None:
    """Overrides the per-test media folder: the world's files live for the whole module."""


@pytest.fixture(scope="module")
def stage(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Stage]:
    """The world and one signed-in client per actor, built once and rolled back at the end."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        clients: dict[str, Client] = {}
        for actor in ACTORS:
            client = Client(raise_request_exception=False)
            if actor.signed_in:
                client.force_login(world.users[actor.key])
                client.matrix_session = client.cookies["sessionid"].value  # type: ignore[attr-defined]
            clients[actor.key] = client
        yield Stage(world, clients)
        transaction.set_rollback(True)


# --- expected answers ----------------------------------------------------------------------------


# --- classifying answers -------------------------------------------------------------------------

ALLOWED, REFUSED, NEUTRAL, ERROR = "allowed", "refused", "neutral", "error"


# Refusals the public site and Wagtail give as a message on a redirect or a page: "没有权限"
# (the meetings' "forbidden" and Wagtail's permission messages), the votes' "not_eligible",
# seconding by non-residents.
REFUSAL_MESSAGES = ("没有权限", "不在本次表决的范围内", "只有本社区居民")
# The object, not the person, stopped it (a poll not open yet, an agenda item the meeting does
# not have): neither answer.
STATE_MESSAGES = ("表决尚未开始", "表决已截止", "找不到该议程")


def _messages(response: Any) -> list[str]:
    request = getattr(response, "wsgi_request", None)
    return [str(m) for m in get_messages(request)] if request is not None else []


def classify(response: Any) -> str:
    status = response.status_code
    if status >= 500:
        return ERROR
    if status in (401, 403, 404):
        return REFUSED
    if status in (405, 409) or any(t in n for n in _messages(response) for t in STATE_MESSAGES):
        return NEUTRAL
    if any(text in note for note in _messages(response) for text in REFUSAL_MESSAGES):
        return REFUSED
    if status in (301, 302, 303, 307, 308):
        signed_out = "sessionid" in response.cookies and not response.cookies["sessionid"].value
        path = urlparse(response["Location"]).path
        if path in (settings.LOGIN_URL, reverse("wagtailadmin_login")) and not signed_out:
            return REFUSED
    return ALLOWED


# --- filling URL arguments from the world --------------------------------------------------------

MISSING_ID = 987654321


def _fill_simple(name: str, world: World, target: Target | None) -> Any:
    obj: Any = target.obj if target is not None else None
    if name == "community":
        return obj.slug if target and hasattr(obj, "slug") else world.a.community.slug
    page_names = ("page_id", "parent_page_id", "page_to_move_id", "page_pk")
    if name in page_names:
        return world.page.pk
    fixed: dict[str, Any] = {
        "destination_id": world.page.get_parent().pk if world.page.depth > 1 else world.page.pk,
        "action_name": "approve",
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
        "filter_spec": "max-100x100",
        "uidb64": "MQ",
        "token": "set-password",
        "session_id": MISSING_ID,
        "uploaded_file_id": MISSING_ID,
        "workflow_pk": world.workflow.pk,
        "collection_id": world.collection.pk,
        "redirect_id": world.redirect.pk,
        "task_id": world.task.pk,
        "image_id": world.image.pk,
    }
    if name in fixed:
        return fixed[name]
    raise KeyError(name)


def _kwargs(route: Route, world: World, target: Target | None, kind: str) -> dict[str, Any] | None:
    """URL arguments for ``route`` pointing at ``target``; None when it has nothing to point at."""
    obj: Any = target.obj if target is not None else None
    out: dict[str, Any] = {}
    for name in route.arguments:
        if name in ("pk", "object_id", "document_id", "doc_id", "poll_id", "building_id") and (
            obj is not None
        ):
            out[name] = obj.pk
        elif name == "year" and kind == "notice":
            out[name] = obj.year
        elif name == "number" and kind == "notice":
            out[name] = obj.number
        elif name in ("community", "slug") and obj is not None and kind != "community":
            place = obj.grid.community if kind == "visit" else obj.community
            out[name] = place.slug
        elif name == "kind" and kind == "notice_kind":
            out[name] = "resolution"
        elif name == "revision_id":
            revision_id = getattr(obj, "latest_revision_id", None) or world.revision.pk
            out[name] = revision_id
        elif name == "task_state_id":
            state = getattr(obj, "current_workflow_task_state", None)
            if kind == "proposal_task" and state is None:
                return None
            out[name] = state.pk if state else world.task_state.pk
        elif name == "workflow_state_id":
            state = WorkflowState.objects.for_instance(obj).first() if obj is not None else None
            if kind == "proposal_workflow" and state is None:
                return None
            out[name] = state.pk if state else world.workflow_state.pk
        elif name in (
            "app_label",
            "model_name",
            "content_type_app_name",
            "content_type_model_name",
        ):
            out[name] = _model_names(kind, world)[0 if "app" in name else 1]
        elif name in ("app_name",):
            out[name] = _model_names(kind, world)[0]
        elif name == "action":
            out[name] = "delete"
        elif name == "pk" and kind in ("page", "page_action", "page_revision"):
            out[name] = world.page.pk
        elif name == "pk":
            out[name] = _object_of(kind, world).pk
        else:
            out[name] = _fill_simple(name, world, target)
    return out


def _model_names(kind: str, world: World) -> tuple[str, str]:
    if kind == "tagged_model":
        return "wagtailimages", "image"
    if kind in ("page_type",):
        meta = world.page.specific._meta
        return meta.app_label, meta.model_name
    if kind == "task_type":
        return "wagtailcore", "groupapprovaltask"
    if kind in ("proposal_session", "bulk_proposal_delete", "proposal"):
        return "deliberation", "proposal"
    if kind == "setting":
        return "cms", "sitesettings"
    raise AssertionError(f"no model names for kind {kind}")


def _object_of(kind: str, world: World) -> Any:
    singles = {
        "site": world.site,
        "user": world.users["tenant"],
        "group": world.group,
        "collection": world.collection,
        "redirect": world.redirect,
        "workflow": world.workflow,
        "workflow_page": world.page,
        "task": world.task,
        "image": world.image,
        "setting": world.site,
    }
    return singles[kind]


OBJECT_KINDS = {
    "community",
    "grid",
    "gridrole",
    "visit",
    "district",
    "street",
    "streetstaff",
    "proposal",
    "poll",
    "meeting",
    "resolution",
    "minutes",
    "notice",
    "building",
    "unit",
    "member",
    "ownership",
    "problem",
    "area_check",
    "dispatch",
    "dispatch_unit",
    "proxy_letter",
}


def _targets_of(kind: str | None, world: World) -> list[Target | None]:
    if kind is None:
        return [None]
    base = kind.split("_", 1)[0] if kind.startswith("proposal_") else kind
    if kind == "bulk_proposal_delete":
        base = "proposal"
    if kind == "meeting_minutes":
        return list(targets(world, kind))
    if base in OBJECT_KINDS:
        return list(targets(world, base))
    if kind == "document":
        return [
            Target("A.document.minutes", world.a.minutes.document, "A", False),
            Target("A.document.notice", world.a.notice.document, "A", True),
        ]
    return [None]


def cases(route: Route, row: Row, world: World) -> list[tuple[Target | None, str]]:
    """(target, url) pairs: the route pointed at each object of its kind in both communities."""
    out = []
    kind = row.kind or ""
    for target in _targets_of(row.kind, world):
        if route.key == "wagtaildocs_serve":
            doc = target.obj  # type: ignore[union-attr]
            out.append((target, reverse(route.key, args=[doc.pk, doc.filename])))
            continue
        if route.key == ROUTE + route.route or not route.key:
            continue
        kwargs = _kwargs(route, world, target, kind)
        if kwargs is None:
            continue
        if not route.arguments and route.pattern.pattern.regex.groups:
            url = reverse(route.key, args=[""] * route.pattern.pattern.regex.groups)
        else:
            url = reverse(route.key, kwargs=kwargs)
        if kind == "bulk_proposal_delete" and target is not None:
            url += f"?id={target.obj.pk}"
        if route.key.endswith("chosen_multiple") and target is not None:
            url += f"?id={target.obj.pk}"
        out.append((target, url))
    return out


def _actors_for(target: Target | None) -> list[Actor]:
    """Everyone against A's objects; against B's, A's own staff and anonymous visitors (B's staff
    against A's objects already try the other direction)."""
    if target is None or target.community != "B":
        return list(ACTORS)
    return [
        a
        for a in ACTORS
        if a.key
        in ("anonymous", "committee", "property", "resident", "street", "gridworker", "unit")
    ]


def _answer(response: Any) -> str:
    """Status, redirect target and messages, for a failure message."""
    text = str(response.status_code)
    if getattr(response, "exc_info", None):
        text += f" {response.exc_info[0].__name__}: {str(response.exc_info[1])[:200]}"
    if response.get("Content-Type", "").startswith("application/json"):
        text += " " + response.content.decode(errors="replace")[:160]
    if response.has_header("Location"):
        text += " -> " + response["Location"]
    notes = _messages(response)
    if notes:
        text += " " + repr(notes)[:160]
    return text


def _request(
    client: Client, method: str, url: str, probe: Callable[[], bool] | None = None, **extra: Any
) -> tuple[Any, bool | None]:
    """The answer, and what ``probe`` says before the request's writes are rolled back."""
    # A sign-out answer deletes the client's cookie while the rollback keeps the session row;
    # messages of earlier requests must not be read as this one's.
    session = getattr(client, "matrix_session", None)
    if session:
        client.cookies["sessionid"] = session
    client.cookies.pop("messages", None)
    with transaction.atomic():
        response = getattr(client, method)(url, **extra)
        seen = probe() if probe is not None else None
        transaction.set_rollback(True)
    # Cached state built from rolled-back rows (Wagtail's site paths, rate counters) goes too.
    cache.clear()
    return response, seen


def _run(
    stage: Stage,
    key: str,
    row: Row,
    pairs: list[tuple[Target | None, str]],
    methods: dict[str, tuple[Who, dict[str, Any]]],
) -> list[str]:
    problems = []
    for target, url in pairs:
        for actor in _actors_for(target):
            client = stage.clients[actor.key]
            for method, (rule, extra) in methods.items():
                if method == "post" and key in POST_DATA:
                    extra = {**extra, "data": POST_DATA[key](target)}
                probe = PROBES.get(key)
                response, changed = _request(
                    client, method, url, probe=probe(target) if probe else None, **extra
                )
                got = classify(response)
                if changed is not None:  # the view's effect decides, not its answer
                    got = ALLOWED if changed else (NEUTRAL if method == "get" else REFUSED)
                want = allows(rule, actor, target)
                label = target.label if target else "-"
                where = f"{method.upper()} {url} [{label}] as {actor.key}"
                if got == ERROR:
                    problems.append(f"{where}: {_answer(response)} (server error)")
                elif got == NEUTRAL or rule == Who.SIGN_IN_STEP:
                    continue
                elif want and got == REFUSED:
                    problems.append(f"{where}: refused ({_answer(response)}), table: {rule.value}")
                elif not want and got == ALLOWED:
                    problems.append(f"{where}: ALLOWED ({_answer(response)}), table: {rule.value}")
    return problems


def _bulk_deleted(target: Target | None) -> Callable[[], bool]:
    def probe() -> bool:
        assert target is not None
        return not type(target.obj).objects.filter(pk=target.obj.pk).exists()

    return probe


# Views whose answer does not tell (Wagtail's bulk actions answer 200/302 and skip what the
# person may not touch): a probe of the database before the rollback decides.
PROBES: dict[str, Callable[[Target | None], Callable[[], bool]]] = {
    "wagtail_bulk_action": _bulk_deleted,
}


def _meeting_ballot(target: Target | None) -> dict[str, Any]:
    item = target.obj.items.exclude(poll=None).first() if target else None
    if item is None:
        return {"poll": "1", "choice": "1"}
    return {"poll": item.poll_id, "choice": item.poll.options.order_by("pk").first().pk}


def _meeting_position(target: Target | None) -> dict[str, Any]:
    item = target.obj.items.first() if target else None
    return {
        "item": item.pk if item else "1",
        "party": Party.PROPERTY,
        "stance": "support",
        "statement": "物业同意该方案",
    }


# POST bodies that reach past input validation to the permission check.
POST_DATA: dict[str, Callable[[Target | None], dict[str, Any]]] = {
    "meeting-action": lambda target: {"type": "speaker.next"},
    "meeting-vote": _meeting_ballot,
    "meeting-position": _meeting_position,
}


# --- the matrix ----------------------------------------------------------------------------------

MATRIX_ROUTES = [r for r in ROUTES if r.key in URL_ACCESS and not URL_ACCESS[r.key].skip]


_DUPLICATE_KEYS = {r.key for r in ROUTES if sum(1 for x in ROUTES if x.key == r.key) > 1}


def _route_id(route: Route) -> str:
    return route.key + (f"[{route.route}]" if route.key in _DUPLICATE_KEYS else "")


@pytest.mark.django_db
@pytest.mark.parametrize("route", MATRIX_ROUTES, ids=_route_id)
def test_url(stage: Stage, route: Route) -> None:
    row = URL_ACCESS[route.key]
    pairs = cases(route, row, stage.world)
    assert pairs, f"{route.key}: nothing to try it against"
    problems = _run(
        stage,
        route.key,
        row,
        pairs,
        {"get": (row.get, {}), "post": (row.post_rule, {})},
    )
    assert not problems, f"{route.key} ({route.route}):\n  " + "\n  ".join(problems)


def _api_body(op_id: str, world: World, target: Target | None) -> dict[str, Any]:
    obj: Any = target.obj if target else None
    name = op_id.rsplit("_", 1)[-1]
    if op_id.endswith("raise_proposal"):
        data = {"community": obj.slug, "title": "矩阵测试提交", "body": "矩阵测试内容"}
    elif name == "accept":
        data = {"category": "other", "responsible_party": Party.PROPERTY}
    elif name == "answer":
        data = {"answer": "已当场答复"}
    elif name == "reject":
        data = {"reason": "不属于本社区事务"}
    elif name == "merge":
        data = {"into": world.side(target.community).proposal_pub.pk}  # type: ignore[union-attr]
    elif name == "publish":
        data = {}
    elif op_id.endswith("staff_ballot_create"):
        option = obj.options.order_by("pk").first()
        data = {"voter_key": "", "channel": "paper", "choice": option.pk if option else 1}
    elif op_id.endswith("ballot_create"):
        option = obj.options.order_by("pk").first()
        data = {"choice": option.pk if option else 1}
    elif name in ("progress", "complete"):
        return {"data": {"text": "矩阵测试进展", "percent": "50", "report": "已完成"}}
    else:
        return {}
    return {"data": json.dumps(data), "content_type": "application/json"}


API_OPERATIONS = sorted(_operations(), key=lambda op: op["operationId"])


@pytest.mark.django_db
@pytest.mark.parametrize("op", API_OPERATIONS, ids=lambda op: op["operationId"])
def test_api_operation(stage: Stage, op: dict[str, Any]) -> None:
    op_id = op["operationId"]
    row = API_ACCESS[op_id]
    rule = row.get if op["method"] == "get" else row.post_rule
    problems: list[str] = []
    for target in _targets_of(row.kind, stage.world):
        path = op["path"]
        if target is not None:
            path = path.replace("{pk}", str(target.obj.pk)).replace("{poll_id}", str(target.obj.pk))
        assert "{" not in path, f"{op_id}: no filler for {path}"
        extra = _api_body(op_id, stage.world, target) if op["method"] == "post" else {}
        problems += _run(stage, op_id, row, [(target, path)], {op["method"]: (rule, extra)})
    assert not problems, f"{op_id}:\n  " + "\n  ".join(problems)
