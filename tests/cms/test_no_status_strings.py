"""Templates compare against the domain's enums, never against the strings they store.

``cms.context_processors.enums`` puts the enums into every template rendered with a request,
so a template writes ``poll.status == PollStatus.OPEN``. These tests fail on a comparison with a
quoted value of any of the project's enums (statuses, parties, channels, kinds, methods,
verdicts...), and on an enum reference a template cannot resolve (an unknown name or member
renders as nothing and the comparison is silently false).
"""

import re
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

from cms.context_processors import TEMPLATE_ENUMS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "cms" / "templates"
PROJECT_APPS = ("deliberation", "votes", "meetings", "cms")

TAG = re.compile(r"{%(.*?)%}", re.DOTALL)
QUOTED = r"(?:\"([^\"]*)\"|'([^']*)')"
OPERATOR = r"(?:==|!=|<=|>=|<|>|\bnot in\b|\bin\b)"
LITERAL_AFTER = re.compile(rf"{OPERATOR}\s*{QUOTED}")
LITERAL_BEFORE = re.compile(rf"{QUOTED}\s*{OPERATOR}")
ENUM_REFERENCE = re.compile(r"(?<![\w.])([A-Z][a-z][A-Za-z]*)\.([A-Za-z_]+)\b")


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def project_enums() -> list[type[Enum]]:
    """Every enum the project defines in a module imported by now (models, and what the
    context processor imports)."""
    return [
        cls
        for cls in set(_subclasses(Enum))
        if cls.__module__.split(".")[0] in PROJECT_APPS and list(cls)
    ]


def enum_values() -> dict[str, str]:
    """Stored value -> the enum it belongs to (one of them, for the message)."""
    values: dict[str, str] = {}
    for cls in project_enums():
        for member in cls:
            values.setdefault(str(member.value), f"{cls.__name__}.{member.name}")
    return values


def compared_literals(source: str) -> Iterator[tuple[int, str]]:
    """(line, quoted value) of every quoted value a template tag compares against."""
    for tag in TAG.finditer(source):
        line = source.count("\n", 0, tag.start()) + 1
        body = tag.group(1)
        for pattern in (LITERAL_AFTER, LITERAL_BEFORE):
            for match in pattern.finditer(body):
                literal = match.group(1) if match.group(1) is not None else match.group(2)
                # ``x in "a b"`` tests each word; report each.
                for word in literal.split() or [literal]:
                    yield line, word


def enum_references(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, name, member) of every ``Name.MEMBER`` inside a template tag."""
    for tag in TAG.finditer(source):
        line = source.count("\n", 0, tag.start()) + 1
        body = re.sub(QUOTED, "", tag.group(1))  # text inside quotes is not a reference
        for match in ENUM_REFERENCE.finditer(body):
            yield line, match.group(1), match.group(2)


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_the_scanner_finds_a_status_string_and_spares_other_literals() -> None:
    source = (
        '{% if poll.status == "open" %}x{% endif %}\n'
        "{% if 'answered' != proposal.status %}x{% endif %}\n"
        '{% if party in "resident committee" %}x{% endif %}\n'
        '{% if field.name != "q" and sort == "title" %}x{% endif %}\n'
        '{% trans "open" %}'
    )
    values = enum_values()
    found = [(line, word) for line, word in compared_literals(source) if word in values]
    assert found == [(1, "open"), (2, "answered"), (3, "resident"), (3, "committee")]


def test_the_enum_values_include_statuses_parties_and_channels() -> None:
    values = enum_values()
    for value in ("answered", "completed", "open", "live", "resident", "paper", "no_verdict"):
        assert value in values


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_compare_against_enums_not_status_strings(path: Path) -> None:
    values = enum_values()
    offenders = [
        f"{path.relative_to(ROOT)}:{line} compares with {word!r}; use {values[word]}"
        for line, word in compared_literals(path.read_text(encoding="utf-8"))
        if word in values
    ]
    assert offenders == []


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_enum_a_template_names_exists(path: Path) -> None:
    offenders = []
    for line, name, member in enum_references(path.read_text(encoding="utf-8")):
        where = f"{path.relative_to(ROOT)}:{line}"
        enum = TEMPLATE_ENUMS.get(name)
        if enum is None:
            offenders.append(f"{where}: {name} is not in cms.context_processors.TEMPLATE_ENUMS")
        elif member not in enum.__members__:
            offenders.append(f"{where}: {name} has no member {member}")
    assert offenders == []


def test_the_enums_reach_templates_rendered_with_a_request() -> None:
    assert "cms.context_processors.enums" in settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    template = Template(
        "{% if status == PollStatus.OPEN %}open{% endif %}"
        "{% if party == Party.RESIDENT %} resident{% endif %}"
        "{% if verdict != Verdict.PASSED %} not passed{% endif %}"
    )
    values = {"status": "open", "party": "resident", "verdict": "no_verdict"}
    request = RequestFactory().get("/")
    assert template.render(RequestContext(request, values)) == "open resident not passed"
    # Without a request there are no enums: an equality is false, never an error.
    assert template.render(Context(values)) == " not passed"


def test_every_template_enum_is_a_project_enum() -> None:
    known = set(project_enums())
    assert all(enum in known for enum in TEMPLATE_ENUMS.values())
