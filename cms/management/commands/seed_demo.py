"""Load the demo community. Safe to run again: it updates rather than duplicates."""

from django.core.management.base import BaseCommand

from cms.services import site_ensure_home
from deliberation import demo as deliberation_demo
from deliberation import demo_resolutions
from meetings import demo as meetings_demo
from meetings.minutes import demo as documents_demo
from votes import demo as votes_demo


class Command(BaseCommand):
    help = "Load the demo community (民主村社区) with its roster, accounts, proposals and meeting."

    def handle(self, *args: object, **options: object) -> None:
        site_ensure_home()
        community = deliberation_demo.seed_community()
        proposals = deliberation_demo.seed_proposals(community)
        meetings_demo.seed_meetings(community, proposals)
        votes_demo.seed_polls(community, proposals)
        demo_resolutions.seed_resolutions(community)
        documents_demo.seed_documents(community)
        self.stdout.write(self.style.SUCCESS(f"Demo community ready: {community.name}"))
