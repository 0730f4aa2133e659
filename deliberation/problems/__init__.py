"""Common problems (共性问题, 由点及面) and area-wide checks (排查)."""
