"""Load the demo community. Safe to run again: it updates rather than duplicates."""

from django.core.management.base import BaseCommand

from cms.services import site_ensure_home
from demo import campaign as campaign_demo
from demo import dispatch as dispatch_demo
from demo import documents as documents_demo
from demo import levels as levels_demo
from demo import meetings as meetings_demo
from demo import polls as votes_demo
from demo import problems as problems_demo
from demo import registry as deliberation_demo
from demo import resolutions as demo_resolutions
from demo import rules as rules_demo


class Command(BaseCommand):
    help = "Load the demo community (民主村社区) with its roster, accounts, proposals and meeting."

    def handle(self, *args: object, **options: object) -> None:
        site_ensure_home()
        community = deliberation_demo.seed_community()
        levels_demo.seed_levels(community)
        proposals = deliberation_demo.seed_proposals(community)
        meetings_demo.seed_meetings(community, proposals)
        votes_demo.seed_polls(community, proposals)
        demo_resolutions.seed_resolutions(community)
        rules_demo.seed_rules(community)
        documents_demo.seed_documents(community)
        campaign_demo.seed_campaign(community)
        problems_demo.seed_problems(community)
        dispatch_demo.seed_dispatch(community)
        self.stdout.write(self.style.SUCCESS(f"Demo community ready: {community.name}"))
