"""The owners' decision as a campaign (issue 15 points 1, 2, 7): progress per building, the
not-yet-voted list for canvassing, canvassers, printed ballots with codes, staff entries of
paper, door, proxy and phone ballots with evidence and a second person's confirmation.

``models`` (imported by ``votes.models``), ``services`` (every write), ``selectors`` (reads),
``rules`` (permission predicates), ``evidence`` (upload checks).
"""
