"""How people appear on the public site: names masked (张*英), phone numbers never."""


def mask_name(name: str) -> str:
    """Mask a personal name the way Chinese public notices do.

    张秀英 → 张*英, 张明 → 张*, 欧阳秀英 → 欧**英; a single character stays as it is.
    Latin names keep
    their first and last letter. Blank stays blank.
    """
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def public_name(name: str, *, show_full_name: bool) -> str:
    """The name as published: in full only when the person chose so."""
    return name if show_full_name else mask_name(name)
