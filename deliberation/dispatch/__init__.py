"""派件: matters sent to responsible units, claimed, returned, reported back and escalated."""
