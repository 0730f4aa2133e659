"""Public views, one module per area (site, proposals, polls, meetings, resolutions)."""
