"""The permission matrix: who may use every URL, API operation and websocket command.

One declared table, read by ``tests/cms/test_permission_matrix.py``, which enumerates the URL
conf, the OpenAPI schema and the websocket protocol and fails for anything without a row here
(and for a row naming something that no longer exists). Policy: DESIGN.md "Roles".

Each row names a rule (:class:`Who`) for GET and one for POST, and the kind of object the URL's
arguments point at (filled by the test world from both communities, published and not). A rule
with "own" reads the object's community; for a URL without an object it reads "any community
where the person has that standing" (what the page then shows is scoped, which the admin scope
tests check).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Who(StrEnum):
    """Who may use a URL (the vocabulary of the table)."""

    PUBLIC = "public"  # anyone, signed in or not
    SIGN_IN_STEP = "sign_in_step"  # sign-in/out steps: anyone; every answer but a 500 is right
    SIGNED_IN = "signed_in"  # any signed-in person
    VISIBLE = "visible"  # published: anyone; unpublished: staff of the object's community
    VISIBLE_COMMITTEE = "visible_committee"  # published: anyone; unpublished: its committee
    VISIBLE_MEMBER = "visible_member"  # published: anyone; unpublished: members of its community
    MEMBER = "member"  # a member (any party) of the object's community
    RESIDENT_OWN = "resident_own"  # a resident member of the community, on a published object
    ADMIN = "admin"  # anyone with admin access (staff of any community); contents are scoped
    STAFF_OWN = "staff_own"  # committee, property or department staff of the community
    COMMITTEE_OWN = "committee_own"  # committee (居委会) staff of the community
    COMMITTEE_OWN_LIVE = "committee_own_live"  # the same, on a published (opened) object only
    # an open poll's canvassers (CanvassAssignment), and its committee staff (as COMMITTEE_OWN_LIVE)
    CANVASSER_OWN = "canvasser_own"
    ASSIGNED_PARTY_OWN = "assigned_party_own"  # staff of the responsible party, own community
    SUPERUSER_ONLY = "superuser_only"  # Wagtail's own administration: no role holds it
    # The levels (issue 14): grid workers and street staff hold no party in a community.
    GRID_OWN = "grid_own"  # committee staff, or a grid worker of one of its grids
    GRID_OF_OBJECT = "grid_of_object"  # committee staff, or a grid worker of the object's grid
    SUPERVISOR_OWN = "supervisor_own"  # committee staff, or street staff over the community
    STREET = "street"  # street (command-centre) staff of any street
    DISPATCHER_OWN = "dispatcher_own"  # committee of the community, or street staff over it
    STREET_STAFF = "street_staff"  # street command-centre staff (the register of units, limits)
    UNIT_STAFF = "unit_staff"  # staff of any responsible unit (their own queue)
    UNIT_STAFF_OWN = "unit_staff_own"  # staff of the unit the dispatch was sent to


@dataclass(frozen=True)
class Row:
    """``get`` and ``post`` rules; ``kind`` of object the URL arguments name (None: none);
    ``skip`` a reason when the arguments cannot be filled meaningfully (rare)."""

    get: Who
    post: Who | None = None  # None: same as get
    kind: str | None = None
    skip: str = ""

    @property
    def post_rule(self) -> Who:
        return self.post if self.post is not None else self.get


P, S, V, VC, VM, M, R = (
    Who.PUBLIC,
    Who.SIGNED_IN,
    Who.VISIBLE,
    Who.VISIBLE_COMMITTEE,
    Who.VISIBLE_MEMBER,
    Who.MEMBER,
    Who.RESIDENT_OWN,
)
AD, ST, CO, COL, AS, SU, STEP = (
    Who.ADMIN,
    Who.STAFF_OWN,
    Who.COMMITTEE_OWN,
    Who.COMMITTEE_OWN_LIVE,
    Who.ASSIGNED_PARTY_OWN,
    Who.SUPERUSER_ONLY,
    Who.SIGN_IN_STEP,
)

GR, GO, SV, STR = Who.GRID_OWN, Who.GRID_OF_OBJECT, Who.SUPERVISOR_OWN, Who.STREET

LETTERS = "needs ?upto=<letter id>; tests/deliberation notifications"

# A row for an unnamed pattern is keyed by its route.
ROUTE = "route:"


def _viewset(
    namespace: str,
    kind: str | None,
    *,
    index: Who,
    add: Who,
    edit: Who,
    delete: Who = SU,
    read: Who | None = None,
    extra: dict[str, Row] | None = None,
) -> dict[str, Row]:
    """The rows of a Wagtail ModelViewSet: index, add, edit, delete, history, usage (+inspect)."""
    read = read or edit
    rows = {
        f"{namespace}:index": Row(index),
        f"{namespace}:index_results": Row(index),
        f"{namespace}:add": Row(add),
        f"{namespace}:edit": Row(edit, kind=kind),
        f"{namespace}:delete": Row(delete, kind=kind),
        f"{namespace}:history": Row(read, kind=kind),
        f"{namespace}:history_results": Row(read, kind=kind),
        f"{namespace}:usage": Row(read, kind=kind),
    }
    rows.update(extra or {})
    return rows


def _snippet(name: str, kind: str, *, read: Who, add: Who, edit: Who) -> dict[str, Row]:
    ns = f"wagtailsnippets_{name}"
    rows = {
        f"{ns}:list": Row(read),
        f"{ns}:list_results": Row(read),
        f"{ns}:add": Row(add),
        f"{ns}:edit": Row(edit, kind=kind),
        f"{ns}:delete": Row(SU, kind=kind),
        f"{ns}:usage": Row(read, kind=kind),
        f"{ns}:history": Row(read, kind=kind),
        f"{ns}:history_results": Row(read, kind=kind),
        f"{ns}:inspect": Row(read, kind=kind),
    }
    chooser = f"wagtailsnippetchoosers_{name}"
    rows.update(
        {
            f"{chooser}:choose": Row(read),
            f"{chooser}:choose_results": Row(read),
            f"{chooser}:chosen": Row(read, kind=kind),
            f"{chooser}:chosen_multiple": Row(read),
            f"{chooser}:create": Row(SU),  # create through the snippet's own add view
        }
    )
    return rows


def _superuser(*names: str, kind: str | None = None) -> dict[str, Row]:
    return {name: Row(SU, kind=kind) for name in names}


URL_ACCESS: dict[str, Row] = {
    # --- the public site ---------------------------------------------------------------------
    "media-proposal": Row(V, kind="media", skip="files by name; tests/deliberation photos"),
    "media-option": Row(V, kind="media", skip="files by name; tests/deliberation photos"),
    "media-progress": Row(P, kind="media", skip="files by name; tests/deliberation photos"),
    "media-campaign-evidence": Row(
        CO, kind="media", skip="files by name; tests/cms/campaign/test_campaign_views.py"
    ),
    "set_language": Row(P),
    "elder-mode": Row(P),
    "login": Row(STEP),
    "logout": Row(STEP),
    "signin-code-request": Row(STEP),
    "signin-code-verify": Row(STEP),
    "proposal-list": Row(P, kind="community"),
    "proposal-new": Row(M, kind="community"),
    "proposal-detail": Row(VC, kind="proposal"),
    "proposal-second": Row(VC, post=R, kind="proposal"),
    "meeting-list": Row(P, kind="community"),
    "meeting-detail": Row(VM, kind="meeting"),
    "meeting-live": Row(VM, kind="meeting"),
    "meeting-console": Row(CO, kind="meeting"),
    "meeting-projector": Row(VM, kind="meeting"),
    "meeting-action": Row(CO, kind="meeting"),
    "meeting-open": Row(CO, kind="meeting"),
    "meeting-checkin": Row(M, kind="meeting"),
    "meeting-vote": Row(M, kind="meeting"),
    "meeting-position": Row(CO, kind="meeting"),
    "meeting-minutes-pdf": Row(VC, kind="meeting_minutes"),
    "poll-list": Row(P, kind="community"),
    "poll-detail": Row(VC, kind="poll"),
    "poll-chain": Row(VC, kind="poll"),
    "poll-vote": Row(VC, post=R, kind="poll"),
    "poll-receipt-check": Row(VC, kind="poll"),
    "poll-ballots": Row(VC, kind="poll"),
    "poll-paper": Row(COL, kind="poll"),
    "poll-manage": Row(CO, kind="poll"),
    "poll-canvass": Row(Who.CANVASSER_OWN, kind="poll"),
    "poll-export-csv": Row(COL, kind="poll"),
    "poll-export-json": Row(COL, kind="poll"),
    "notice-list": Row(P, kind="community"),
    "notice-pdf": Row(P, kind="notice"),
    "resolution-list": Row(P, kind="community"),
    "resolution-feed": Row(P, kind="community"),
    "resolution-detail": Row(P, post=S, kind="resolution"),  # POST: rating
    "resolution-metrics": Row(P, kind="community"),
    "community-home": Row(P, kind="community"),
    "notice-photo": Row(P, kind="notice", skip="the world's notices carry no photo (404 for all)"),
    "my-matters": Row(S),
    "inbox": Row(S),
    "inbox-read": Row(S),
    "inbox-preferences": Row(S),
    "export-proposals": Row(ST, kind="community"),
    "export-resolutions": Row(ST, kind="community"),
    "export-metrics": Row(P, kind="community"),
    "export-poll": Row(COL, kind="poll"),
    # grid workers' pages (issue 14 point 2)
    "grid-home": Row(GR, kind="community"),
    "grid-box-round": Row(GR, kind="community"),
    "grid-visits": Row(GR, kind="community"),
    "grid-visit-convert": Row(GR, kind="visit"),
    "grid-contact-cards": Row(GR, kind="building"),
    "proposal-receipt": Row(GO, kind="proposal"),
    "dispatch-queue": Row(Who.UNIT_STAFF),
    "dispatch-detail": Row(Who.UNIT_STAFF_OWN, kind="dispatch"),
    "wagtail_serve": Row(P),
    "wagtailcore_login": Row(STEP),
    "wagtailcore_authenticate_with_password": Row(
        P, skip="page view restrictions are not used; no restriction to name"
    ),
    "wagtaildocs_serve": Row(VC, kind="document"),  # minutes follow minutes.pdf's rule
    "wagtaildocs_authenticate_with_password": Row(
        P, skip="collection view restrictions are not used; no restriction to name"
    ),
    # --- the API's own pages (operations: API_ACCESS) ------------------------------------------
    "api:api-root": Row(P, skip="ninja's root route has no view: 404 for everyone"),
    "api:openapi-json": Row(P),
    "api:openapi-view": Row(AD),
    # --- the Wagtail admin: what every staff role uses -------------------------------------------
    "wagtailadmin_home": Row(AD),
    "wagtailadmin_account": Row(AD),
    "wagtailadmin_dismissibles": Row(AD),
    "wagtailadmin_block_preview": Row(AD, skip="needs a StreamField block id; none here"),
    "wagtailadmin_tag_autocomplete": Row(AD),
    "wagtailadmin_tag_model_autocomplete": Row(
        AD, kind="tagged_model", skip="no Sifang model is tagged: 404 for everyone"
    ),
    "wagtailadmin_sprite": Row(P),
    "wagtailadmin_javascript_catalog": Row(P),
    "wagtailadmin_login": Row(STEP),
    "wagtailadmin_logout": Row(STEP),
    "wagtailadmin_password_reset": Row(P),
    "wagtailadmin_password_reset_done": Row(P),
    "wagtailadmin_password_reset_confirm": Row(P, kind="reset_token"),
    "wagtailadmin_password_reset_complete": Row(P),
    "wagtailsnippets:index": Row(SU),  # each snippet's own list is the way in
    "wagtailadmin_reports:site_history": Row(AD),  # rows of own communities only
    "wagtailadmin_reports:site_history_results": Row(AD),
    "wagtailadmin_editing_sessions:ping": Row(ST, kind="proposal_session"),
    "wagtailadmin_editing_sessions:release": Row(AD, kind="session"),
    # link choosers of the rich text editor (proposal bodies)
    "wagtailadmin_choose_page": Row(AD),
    "wagtailadmin_choose_page_child": Row(AD, kind="page"),
    "wagtailadmin_choose_page_search": Row(AD),
    "wagtailadmin_choose_page_chosen_multiple": Row(AD),
    "wagtailadmin_choose_page_external_link": Row(AD),
    "wagtailadmin_choose_page_email_link": Row(AD),
    "wagtailadmin_choose_page_phone_link": Row(AD),
    "wagtailadmin_choose_page_anchor_link": Row(AD),
    ROUTE + "admin/test404/": Row(AD, skip="Wagtail's 404 test page answers 404 by design"),
    ROUTE + "admin/^.*/$": Row(AD, skip="the admin's catch-all answers 404 by design"),
    "wagtailadmin_error_test": Row(SU, skip="Wagtail's error test raises on purpose"),
    # --- Sifang admin views ---------------------------------------------------------------------
    "meetings_admin_list": Row(CO),
    "meetings_admin_schedule": Row(CO),
    "meetings_minutes_review_list": Row(CO),
    "meetings_minutes_review": Row(
        CO, kind="minutes", skip="reviews minutes of closed meetings; tests/meetings minutes"
    ),
    "meetings_admin_manage": Row(CO, kind="meeting"),
    "notices_admin_list": Row(CO),
    "notices_admin_issue": Row(CO, kind="notice_kind"),
    "notices_admin_withdraw": Row(CO, kind="notice"),
    "notices_admin_reissue": Row(CO, kind="notice"),
    "notices_admin_photo": Row(CO, kind="notice"),
    "street_dashboard": Row(SV),
    "street_review_pdf": Row(SV),
    "street_review_xlsx": Row(SV),
    "problems_index": Row(SV),
    "problems_scan": Row(SV),
    "problems_detail": Row(SV, kind="problem"),
    "problems_confirm": Row(SV, kind="problem"),
    "problems_dismiss": Row(SV, kind="problem"),
    "problems_raise": Row(SV, kind="problem"),
    "problems_check_new": Row(SV),
    "problems_check": Row(SV, kind="area_check"),
    "problems_check_record": Row(SV, kind="area_check"),
    "problems_check_close": Row(SV, kind="area_check"),
    # objections to an owners' poll's preliminary result: its committee records and answers
    "poll_objections_admin": Row(CO, kind="poll"),
    "notifications_letters": Row(CO),
    # written proxies (授权委托书): the committee that runs the polls
    "votes_proxies": Row(CO),
    "votes_proxies_add": Row(CO, kind="community"),
    "votes_proxies_detail": Row(CO, kind="proxy_letter"),
    "votes_proxies_scan": Row(CO, kind="proxy_letter"),
    "notifications_letters_pdf": Row(CO, kind="building", skip=LETTERS),
    "notifications_letters_printed": Row(CO, kind="building", skip=LETTERS),
    "meetings_minutes_rerender": Row(CO, kind="minutes"),
    "deliberation_triage_queue": Row(CO),
    "deliberation_triage_proposal": Row(CO, kind="proposal"),
    "deliberation_resolution_list": Row(ST),
    "deliberation_resolution_create": Row(CO),
    "deliberation_resolution_metrics": Row(ST),
    "deliberation_resolution_manage": Row(ST, kind="resolution"),
    "deliberation_roster_upload": Row(CO),
    # dispatch (派件): committee and street staff send and follow; street staff keep the register
    "dispatch_admin_list": Row(Who.DISPATCHER_OWN),
    "dispatch_admin_proposal": Row(Who.DISPATCHER_OWN, kind="proposal"),
    "dispatch_admin_units": Row(Who.DISPATCHER_OWN),
    "dispatch_admin_unit": Row(Who.DISPATCHER_OWN, post=Who.STREET_STAFF, kind="dispatch_unit"),
    "dispatch_admin_unit_new": Row(Who.STREET_STAFF),
    "dispatch_admin_limits": Row(Who.STREET_STAFF),
    # owners' campaigns (votes.campaign): the committee, once the poll has opened
    "votes_campaign_index": Row(CO),
    "votes_campaign": Row(COL, kind="poll"),
    "votes_campaign_progress": Row(COL, kind="poll"),
    "votes_campaign_not_voted": Row(COL, kind="poll"),
    "votes_campaign_ballots": Row(COL, kind="poll"),
    "votes_campaign_entry": Row(COL, kind="poll"),
    "votes_campaign_entries": Row(COL, kind="poll"),
    "votes_campaign_canvassers": Row(COL, kind="poll"),
    # proposals: staff propose and follow; the committee triages, publishes, locks
    **_snippet("deliberation_proposal", "proposal", read=ST, add=SU, edit=ST),
    "wagtailsnippets_deliberation_proposal:revisions_revert": Row(ST, kind="proposal_revision"),
    "wagtailsnippets_deliberation_proposal:revisions_compare": Row(ST, kind="proposal"),
    "wagtailsnippets_deliberation_proposal:revisions_unschedule": Row(CO, kind="proposal_revision"),
    "wagtailsnippets_deliberation_proposal:unpublish": Row(CO, kind="proposal"),
    "wagtailsnippets_deliberation_proposal:lock": Row(CO, kind="proposal"),
    "wagtailsnippets_deliberation_proposal:unlock": Row(CO, kind="proposal"),
    "wagtailsnippets_deliberation_proposal:workflow_action": Row(CO, kind="proposal_task"),
    "wagtailsnippets_deliberation_proposal:collect_workflow_action_data": Row(
        CO, kind="proposal_task"
    ),
    "wagtailsnippets_deliberation_proposal:confirm_workflow_cancellation": Row(ST, kind="proposal"),
    "wagtailsnippets_deliberation_proposal:workflow_history": Row(ST, kind="proposal"),
    "wagtailsnippets_deliberation_proposal:workflow_history_detail": Row(
        ST, kind="proposal_workflow"
    ),
    # polls: the committee runs votes; property and department never
    **_snippet("votes_poll", "poll", read=CO, add=CO, edit=CO),
    # minutes and notices: the committee reads, renders again and issues
    **_viewset("minutes", "minutes", index=CO, add=SU, edit=SU, read=SU),
    "minutes:inspect": Row(CO, kind="minutes"),
    **_viewset("notices", "notice", index=CO, add=SU, edit=SU, read=SU),
    "notices:inspect": Row(CO, kind="notice"),
    # the registry and roster: the committee of the community
    **_viewset("registry_community", "community", index=CO, add=SU, edit=CO),
    **_viewset("registry_building", "building", index=CO, add=CO, edit=CO),
    **_viewset("registry_unit", "unit", index=CO, add=CO, edit=CO),
    **_viewset("registry_member", "member", index=CO, add=CO, edit=CO),
    **_viewset("registry_ownership", "ownership", index=CO, add=CO, edit=CO, delete=CO),
    # the levels: grids and posts (committee, street staff over it); districts, streets, their
    # staff (superusers); the street's matters and correcting where a matter is
    **_viewset("levels_grid", "grid", index=SV, add=SV, edit=SV),
    **_viewset("levels_grid_role", "gridrole", index=SV, add=SV, edit=SV),
    **_viewset("levels_district", "district", index=SU, add=SU, edit=SU),
    **_viewset("levels_street", "street", index=SU, add=SU, edit=SU),
    **_viewset("levels_street_staff", "streetstaff", index=SU, add=SU, edit=SU),
    "levels_street_matters": Row(STR),
    "levels_proposal_locate": Row(SV, kind="proposal"),
    "wagtail_bulk_action": Row(SU, kind="bulk_proposal_delete"),
    # --- Wagtail's own administration: no role holds it ----------------------------------------
    **_superuser(
        "wagtailadmin_api:pages:listing",
        "wagtailadmin_api:pages:find",
        "wagtailadmin_api:documents:listing",
        "wagtailadmin_api:documents:find",
        "wagtailadmin_api:images:listing",
        "wagtailadmin_api:images:find",
        "wagtailadmin_explore_root",
        "wagtailadmin_pages:search",
        "wagtailadmin_pages:search_results",
        "wagtailadmin_collections:index",
        "wagtailadmin_collections:add",
        "wagtailadmin_workflows:index",
        "wagtailadmin_workflows:index_results",
        "wagtailadmin_workflows:add",
        "wagtailadmin_workflows:select_task_type",
        "wagtailadmin_workflows:task_index",
        "wagtailadmin_workflows:task_index_results",
        "wagtailadmin_workflows:task_chooser",
        "wagtailadmin_workflows:task_chooser_results",
        "wagtailadmin_workflows:task_chooser_create",
        "wagtailadmin_reports:locked_pages",
        "wagtailadmin_reports:locked_pages_results",
        "wagtailadmin_reports:workflow",
        "wagtailadmin_reports:workflow_results",
        "wagtailadmin_reports:workflow_tasks",
        "wagtailadmin_reports:workflow_tasks_results",
        "wagtailadmin_reports:aging_pages",
        "wagtailadmin_reports:aging_pages_results",
        "wagtailadmin_reports:page_types_usage",
        "wagtailadmin_reports:page_types_usage_results",
        "wagtailforms:index",
        "wagtailforms:index_results",
        "wagtailredirects:index",
        "wagtailredirects:index_results",
        "wagtailredirects:add",
        "wagtailredirects:start_import",
        "wagtailredirects:process_import",
        "wagtailembeds:chooser",
        "wagtailembeds:chooser_upload",
        "wagtaildocs:index",
        "wagtaildocs:index_results",
        "wagtaildocs:add",
        "wagtaildocs:add_multiple",
        "wagtailimages:index",
        "wagtailimages:index_results",
        "wagtailimages:add",
        "wagtailimages:add_multiple",
        "wagtaildocs_chooser:choose",
        "wagtaildocs_chooser:choose_results",
        "wagtaildocs_chooser:chosen_multiple",
        "wagtaildocs_chooser:create",
        "wagtailimages_chooser:choose",
        "wagtailimages_chooser:choose_results",
        "wagtailimages_chooser:chosen_multiple",
        "wagtailimages_chooser:create",
    ),
    **_superuser(
        "wagtailadmin_api:pages:detail",
        "wagtailadmin_explore",
        "wagtailadmin_explore_results",
        "wagtailadmin_pages:add_subpage",
        "wagtailadmin_pages:usage",
        "wagtailadmin_pages:edit",
        "wagtailadmin_pages:preview_on_edit",
        "wagtailadmin_pages:view_draft",
        "wagtailadmin_pages:delete",
        "wagtailadmin_pages:unpublish",
        "wagtailadmin_pages:convert_alias",
        "wagtailadmin_pages:move",
        "wagtailadmin_pages:set_page_position",
        "wagtailadmin_pages:copy",
        "wagtailadmin_pages:confirm_workflow_cancellation",
        "wagtailadmin_pages:set_privacy",
        "wagtailadmin_pages:lock",
        "wagtailadmin_pages:unlock",
        "wagtailadmin_pages:revisions_index",
        "wagtailadmin_pages:workflow_history",
        "wagtailadmin_pages:history",
        "wagtailadmin_pages:history_results",
        "wagtailadmin_pages:revisions_compare",
        "wagtailforms:list_submissions",
        "wagtailforms:list_submissions_results",
        "wagtailforms:delete_submissions",
        kind="page",
    ),
    **_superuser("wagtailadmin_api:pages:action", kind="page_action"),
    **_superuser("wagtailadmin_pages:move_confirm", kind="page_move"),
    **_superuser(
        "wagtailadmin_pages:add",
        "wagtailadmin_pages:preview_on_add",
        "wagtailadmin_pages:type_use",
        "wagtailadmin_pages:type_use_results",
        "wagtailadmin_pages:choose_parent",
        kind="page_type",
    ),
    **_superuser(
        "wagtailadmin_pages:revisions_view",
        "wagtailadmin_pages:revisions_revert",
        "wagtailadmin_pages:revisions_unschedule",
        kind="page_revision",
    ),
    **_superuser(
        "wagtailadmin_pages:workflow_action",
        "wagtailadmin_pages:collect_workflow_action_data",
        kind="page_task",
    ),
    **_superuser("wagtailadmin_pages:workflow_preview", kind="page_workflow_task"),
    **_superuser("wagtailadmin_pages:workflow_history_detail", kind="page_workflow"),
    **_superuser(
        "wagtailadmin_collections:edit",
        "wagtailadmin_collections:delete",
        "wagtailadmin_collections:set_privacy",
        kind="collection",
    ),
    **_superuser(
        "wagtailadmin_workflows:enable",
        "wagtailadmin_workflows:disable",
        "wagtailadmin_workflows:edit",
        "wagtailadmin_workflows:usage",
        "wagtailadmin_workflows:usage_results",
        kind="workflow",
    ),
    **_superuser("wagtailadmin_workflows:remove", kind="workflow_page"),
    **_superuser("wagtailadmin_workflows:add_task", kind="task_type"),
    **_superuser(
        "wagtailadmin_workflows:edit_task",
        "wagtailadmin_workflows:disable_task",
        "wagtailadmin_workflows:enable_task",
        "wagtailadmin_workflows:task_chosen",
        kind="task",
    ),
    **_superuser("wagtailredirects:edit", "wagtailredirects:delete", kind="redirect"),
    **_superuser("wagtailsettings:edit", "wagtailsettings:preview_on_edit", kind="setting"),
    **_superuser(
        "wagtailadmin_api:documents:detail",
        "wagtaildocs:edit",
        "wagtaildocs:delete",
        "wagtaildocs:edit_multiple",
        "wagtaildocs:delete_multiple",
        "wagtaildocs:document_usage",
        "wagtaildocs_chooser:chosen",
        kind="document",
    ),
    **_superuser(
        "wagtaildocs:create_multiple_from_uploaded_document",
        "wagtaildocs:delete_upload_multiple",
        "wagtailimages:create_multiple_from_uploaded_image",
        "wagtailimages:delete_upload_multiple",
        kind="uploaded_file",
    ),
    **_superuser(
        "wagtailadmin_api:images:detail",
        "wagtailimages:edit",
        "wagtailimages:delete",
        "wagtailimages:url_generator",
        "wagtailimages:url_generator_output",
        "wagtailimages:preview",
        "wagtailimages:image_usage",
        "wagtailimages:edit_multiple",
        "wagtailimages:delete_multiple",
        "wagtailimages_chooser:chosen",
        "wagtailimages_chooser:select_format",
        kind="image",
    ),
    **_viewset("wagtailsites", "site", index=SU, add=SU, edit=SU),
    "wagtailsites:copy": Row(SU, kind="site"),
    **_viewset("wagtailusers_users", "user", index=SU, add=SU, edit=SU),
    "wagtailusers_users:copy": Row(SU, kind="user"),
    **_viewset("wagtailusers_groups", "group", index=SU, add=SU, edit=SU),
}


# Every operation of the JSON API (operation id -> rule for its one method).
API_ACCESS: dict[str, Row] = {
    "cms_api_proposals_list_proposals": Row(P),
    "cms_api_proposals_raise_proposal": Row(P, post=M, kind="community"),
    "cms_api_proposals_read_proposal": Row(VC, kind="proposal"),
    "cms_api_proposals_accept": Row(CO, kind="proposal"),
    "cms_api_proposals_answer": Row(CO, kind="proposal"),
    "cms_api_proposals_reject": Row(CO, kind="proposal"),
    "cms_api_proposals_merge": Row(CO, kind="proposal"),
    "cms_api_proposals_publish": Row(CO, kind="proposal"),
    "cms_api_proposals_second": Row(R, kind="proposal"),
    "cms_api_polls_poll_detail": Row(VC, kind="poll"),
    "cms_api_polls_ballot_create": Row(R, kind="poll"),
    "cms_api_polls_staff_ballot_create": Row(CO, kind="poll"),
    "cms_api_resolutions_list_resolutions": Row(P),
    "cms_api_resolutions_read_resolution": Row(P, kind="resolution"),
    "cms_api_resolutions_post_progress": Row(AS, kind="resolution"),
    "cms_api_resolutions_complete": Row(AS, kind="resolution"),
}

# Every websocket command of the live meeting (meetings.protocol.MESSAGES) and the connection.
WS_ACCESS: dict[str, Who] = {
    "connect": VM,
    "ballot.cast": M,
    "speaker.request": M,
    "speaker.withdraw": M,
    "agenda.goto": CO,
    "poll.open": CO,
    "poll.close": CO,
    "poll.reopen": CO,
    "speaker.next": CO,
    "note.add": CO,
    "attendance.mark": CO,
    "meeting.close": CO,
}
