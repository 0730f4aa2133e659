"""Notifications (通知): inbox, SMS, e-mail and printed letters for the events of the loop."""
