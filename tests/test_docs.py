"""The documentation in docs/ is the users': these tests keep it whole and keep it honest.

- Every relative Markdown link in README.md and docs/*.md reaches a file, and its #anchor a heading of
  that file (GitHub's heading anchors, duplicates numbered -1, -2...).
- Every mention of docs/<name>.md[#anchor] in the code's docstrings and comments resolves the same way.
- Nothing a user reads names the design notes that are not in the repository.
- docs/rules.md names every function of the rule language's whitelist, every variable of the catalogue
  and every action type with each of its options, read from the code: adding one without documenting
  it fails here.

The checker functions are tested on small files of their own, so each check is shown able to fail."""

from __future__ import annotations

import re
import typing
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CODE_FOLDERS = ("functions", "shared", "local", "bench", "scripts", "tests")
# Design notes that live outside the repository: a user who clones it does not have them.
MISSING_NOTES = re.compile(r"(?<![A-Za-z0-9_])(RULES|API|SERVICING|ARCHITECTURE)\.md")
DOCS_MENTION = re.compile(r"(?<![A-Za-z0-9_/.-])docs/([A-Za-z0-9_.-]+\.md)(?:#([A-Za-z0-9_-]+))?")


# ---------------------------------------------------------------- the checkers


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HTML_ANCHOR = re.compile(r"""<a\s+(?:[^>]*?\s)?(?:name|id)=["']([^"']+)["']""", re.IGNORECASE)
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def prose_lines(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines, fence = [], None
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0] * len(opened.group(1))
        elif fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
        else:
            lines.append(line)
    return lines


def _heading_text(raw: str) -> str:
    """A heading as GitHub renders its text: code spans keep their content, links their text, emphasis
    markers and HTML tags disappear."""
    text = _CODE_SPAN.sub(lambda m: m.group(2).strip(), raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*{1,3}|(?<!\w)_{1,3}|_{1,3}(?!\w))", "", text)
    return text


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation other than '-' and '_' removed, each space
    a '-'."""
    text = _heading_text(heading).strip().lower()
    text = "".join(c for c in text if c in "-_ " or unicodedata.category(c)[0] in "LNM")
    return text.replace(" ", "-")


def headings(text: str) -> list[str]:
    """Every heading of a Markdown text (ATX and setext), outside code blocks, in order."""
    found, previous = [], ""
    for line in prose_lines(text):
        atx = _ATX.match(line)
        if atx:
            found.append(atx.group(2) or "")
        elif _SETEXT.match(line) and previous.strip() and not previous.lstrip().startswith(("-", "*", "|", ">")):
            found.append(previous.strip())
        previous = line
    return found


def anchors(text: str) -> set[str]:
    """The anchors a Markdown file has: its headings' slugs (a repeated slug gets -1, -2... as GitHub
    numbers them) and explicit <a name|id="..."> anchors."""
    seen: Counter[str] = Counter()
    out = set()
    for heading in headings(text):
        base = slug(heading)
        out.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    out.update(_HTML_ANCHOR.findall(text))
    return out


def links(text: str) -> list[str]:
    """The targets of every inline link, image and reference definition, outside code."""
    found = []
    for line in prose_lines(text):
        reference = _REFERENCE.match(line)
        if reference:
            found.append(reference.group(1))
            continue
        bare = _CODE_SPAN.sub("", line)
        found += [m.group(1) for m in _INLINE_LINK.finditer(bare)]
    return found


def resolve(source: Path, target: str, root: Path = ROOT) -> str | None:
    """Why a relative link target from `source` does not resolve (a missing file, or an anchor the
    target file lacks), or None when it does. Absolute URLs (http:, mailto:...) are not checked."""
    if not target or _SCHEME.match(target) or target.startswith("//"):
        return None
    path_part, _, anchor = target.partition("#")
    path_part = path_part.split("?", 1)[0]
    if path_part.startswith("/"):
        destination = root / path_part.lstrip("/")
    elif path_part:
        destination = source.parent / path_part
    else:
        destination = source
    destination = destination.resolve()
    if not destination.exists():
        shown = destination.relative_to(root) if destination.is_relative_to(root) else destination
        return f"{target}: no such file {shown}"
    if anchor:
        if destination.is_dir() or destination.suffix.lower() != ".md":
            return f"{target}: an anchor into a file that is not Markdown"
        if anchor not in anchors(destination.read_text(encoding="utf-8")):
            return f"{target}: {destination.name} has no heading with the anchor #{anchor}"
    return None


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [f"{path.relative_to(root)}: {problem}" for t in links(text) if (problem := resolve(path, t, root))]


def broken_mentions(path: Path, root: Path = ROOT) -> list[str]:
    """docs/<name>.md[#anchor] named in a file's text (a docstring, a comment, prose), resolved from the
    repository root."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in DOCS_MENTION.finditer(line):
            target = f"docs/{match.group(1)}" + (f"#{match.group(2)}" if match.group(2) else "")
            problem = resolve(root / "README.md", target, root)
            if problem:
                problems.append(f"{path.relative_to(root)}:{number}: {problem}")
    return problems


def missing_notes(path: Path, root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)}:{number}: names {match.group(0)}, which is not in the repository"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for match in MISSING_NOTES.finditer(line)
    ]


def code_spans(text: str) -> set[str]:
    """The contents of every code span (`...`) of a Markdown text, outside fenced blocks."""
    return {m.group(2).strip() for line in prose_lines(text) for m in _CODE_SPAN.finditer(line)}


def undocumented(names: typing.Iterable[str], text: str) -> list[str]:
    """The names that never appear as a code span of their own (`name`) in the text."""
    spans = code_spans(text)
    return sorted(set(names) - spans)


# ---------------------------------------------------------------- what they check


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def _python_files() -> list[Path]:
    files = []
    for folder in CODE_FOLDERS:
        files += [p for p in sorted((ROOT / folder).rglob("*.py")) if "__pycache__" not in p.parts and p.is_file()]
    return files


DOCUMENTS = ["README.md", "rules.md", "http.md", "architecture.md", "servicing.md", "operations.md"]


def test_every_document_exists():
    assert [name for name in DOCUMENTS if not (DOCS / name).is_file()] == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_links_in_docs_resolve(name):
    assert broken_links(DOCS / name) == []


def test_links_in_the_readme_resolve():
    assert broken_links(ROOT / "README.md") == []


def test_docs_mentions_in_the_code_and_readme_resolve():
    problems = []
    for path in [*_python_files(), ROOT / "README.md"]:
        problems += broken_mentions(path)
    assert problems == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_docs_name_no_missing_design_note(name):
    assert missing_notes(DOCS / name) == []


def test_readme_and_code_name_no_missing_design_note():
    # Fails until every reference to the design notes outside the repository points at docs/ instead.
    problems = missing_notes(ROOT / "README.md")
    for path in _python_files():
        problems += missing_notes(path)
    assert problems == [], f"{len(problems)} references, e.g.:\n" + "\n".join(problems[:20])


REQUIRED_HEADINGS = {
    "rules.md": [
        "## Syntax",
        "## Functions",
        "## Variables",
        "## Actions",
        "## When rules run",
        "## Real time",
        "## Cascades",
        "## Validation and errors",
    ],
    "http.md": ["## Authentication", "## Errors", "## Pagination", "## Versions and If-Match", "## Idempotency"],
    "architecture.md": ["## Layers"],
    "servicing.md": ["## Schedule", "## Interest", "## Payments", "## Days past due", "## Late fees"],
    "operations.md": ["## Local stack", "## Tests and benchmarks", "## Deploying", "## Alarms"],
}


@pytest.mark.parametrize("name", sorted(REQUIRED_HEADINGS))
def test_the_headings_others_link_to_exist(name):
    lines = set(prose_lines((DOCS / name).read_text(encoding="utf-8")))
    assert [h for h in REQUIRED_HEADINGS[name] if h not in lines] == []


# ---------------------------------------------------------------- completeness of the rule reference


def _rules_text() -> str:
    return (DOCS / "rules.md").read_text(encoding="utf-8")


def _action_models() -> dict[str, type[BaseModel]]:
    from lms.contract import Action

    union = typing.get_args(Action)[0]
    return {typing.get_args(model.model_fields["type"].annotation)[0]: model for model in typing.get_args(union)}


def test_rules_md_names_every_function():
    from lms.rules import FUNCTION_NAMES

    assert undocumented(FUNCTION_NAMES, _rules_text()) == []


def test_rules_md_names_every_variable():
    from lms.rules.catalogue import VARIABLES

    assert undocumented([v.name for v in VARIABLES], _rules_text()) == []


def test_rules_md_names_every_action_type():
    from lms.automation.actions import APPLY

    assert set(_action_models()) == set(APPLY)  # the contract and the engine know the same actions
    assert undocumented(APPLY, _rules_text()) == []


def test_rules_md_names_every_option_of_every_action():
    text = _rules_text()
    sections = re.split(r"^### ", text, flags=re.MULTILINE)
    problems = []
    for action_type, model in _action_models().items():
        section = next((s for s in sections if s.startswith(f"`{action_type}`")), "")
        options = [f.alias or name for name, f in model.model_fields.items() if name != "type"]
        problems += [f"{action_type}.{option}" for option in undocumented(options, section)]
    assert problems == []


def test_rules_md_names_every_amount_base():
    from lms.contract import AmountBase

    assert undocumented(typing.get_args(AmountBase), _rules_text()) == []


def test_rules_md_examples_are_valid_criteria():
    """Every ```clojure block and every example in the function tables is a criteria the language takes."""
    from lms.rules import validate

    text = _rules_text()
    examples = re.findall(r"```clojure\n(.*?)```", text, re.DOTALL)
    functions = text.split("\n## Functions\n", 1)[1].split("\n## ", 1)[0]
    for line in prose_lines(functions):
        if line.startswith("| `"):
            last = line.strip().strip("|").split("|")[-1].strip()
            if last.startswith("`(") and last.endswith(")`"):
                examples.append(last[1:-1])
    assert len(examples) > 40
    assert [(e, validate(e).errors) for e in examples if not validate(e).valid] == []


def test_http_md_names_every_route():
    from functions.api.app import app

    text = (DOCS / "http.md").read_text(encoding="utf-8")
    documented = set()
    for span in code_spans(text):
        documented |= {m.group(1) for m in re.finditer(r"(/[A-Za-z0-9_{}./-]*)", span)}
    missing = []
    for route in app._static_routes + app._dynamic_routes:  # Powertools keeps no public list of its routes
        pattern = route.rule.pattern.removeprefix("^").removesuffix("/*$")
        path = re.sub(r"\(\?P<(\w+)>\[(?:\\.|[^\]\\])*\]\+\)", lambda m: "{" + _camel(m.group(1)) + "}", pattern)
        if not any(_same_route(path, d) for d in documented):
            missing.append(f"{route.method} {path}")
    assert sorted(missing) == []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _same_route(path: str, documented: str) -> bool:
    """/loans/{loanId}/payments matches /loans/{id}/payments: parameters compare by position only."""
    generic = re.compile(r"\{[^}]*\}")
    return generic.sub("{}", path) == generic.sub("{}", documented.rstrip("/") or "/")


# ---------------------------------------------------------------- the checkers can fail


def _write(root: Path, folder: str, name: str, text: str) -> Path:
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("## Syntax", "syntax"),
        ("## When rules run", "when-rules-run"),
        ("## Versions and If-Match", "versions-and-if-match"),
        ("### `loan-settings`", "loan-settings"),
        ("### Money, rates, dates, text and ids", "money-rates-dates-text-and-ids"),
        ("## Daily maintenance now: `make maintenance`", "daily-maintenance-now-make-maintenance"),
        ("## A/B: what's *new*?", "ab-whats-new"),
        ("## snake_case stays", "snake_case-stays"),
        ("## Zoë  two spaces", "zoë--two-spaces"),
    ],
)
def test_slug_follows_github(heading, expected):
    assert headings(heading + "\n") and slug(headings(heading + "\n")[0]) == expected


def test_duplicate_headings_are_numbered():
    text = "# Title\n## Notes\ntext\n## Notes\n## Notes\n```\n## Not a heading\n```\nSetext\n------\n"
    assert anchors(text) == {"title", "notes", "notes-1", "notes-2", "setext"}


def test_broken_links_are_found(tmp_path):
    _write(tmp_path, "docs", "target.md", "# Target\n## Real section\n## Real section\n")
    source = _write(
        tmp_path,
        "docs",
        "source.md",
        "# Source\n"
        "[ok](target.md) [ok](target.md#real-section) [ok](target.md#real-section-1) [ok](#source)\n"
        "[ok](https://example.com/x.md#nowhere) `[in code](missing.md)`\n"
        "[gone](missing.md) [no anchor](target.md#imaginary) [no self](#nothing)\n"
        "[ref]: ../README.md#no-such\n"
        "```\n[in a block](missing-too.md)\n```\n",
    )
    _write(tmp_path, ".", "README.md", "# Readme\n")
    assert [p.split(": ", 1)[1].split(":")[0] for p in broken_links(source, tmp_path)] == [
        "missing.md",
        "target.md#imaginary",
        "#nothing",
        "../README.md#no-such",
    ]


def test_broken_mentions_are_found(tmp_path):
    d = "docs"  # spelled apart, so that this file's own text holds no mention for the scan above
    _write(tmp_path, ".", "README.md", "# Readme\n")
    _write(tmp_path, d, "rules.md", "# Rules\n## Functions\n")
    code = _write(
        tmp_path,
        "shared",
        "mod.py",
        f'"""See {d}/rules.md#functions and {d}/rules.md."""\n'
        f"# {d}/rules.md#no-such-heading, {d}/gone.md\n"
        f"x = 'my{d}/other.md is someone else's'\n",
    )
    found = broken_mentions(code, tmp_path)
    assert [p.split(": ", 1)[1].split(":")[0] for p in found] == [f"{d}/rules.md#no-such-heading", f"{d}/gone.md"]
    assert found[0].startswith("shared/mod.py:2:")


def test_missing_notes_are_found(tmp_path):
    md = ".md"  # spelled apart, so that this file's own text names no design note for the scan above
    code = _write(
        tmp_path,
        "shared",
        "mod.py",
        f'"""The rule language (RULES{md} section 1); see ../spec/API{md}."""\n'
        f"# SERVICING{md}, ARCHITECTURE{md} 'Clock'\n"
        f"# the architecture{md} of docs and OPENAPI{md} are fine\n",
    )
    assert [p.split("names ")[1].split(",")[0] for p in missing_notes(code, tmp_path)] == [
        f"{name}{md}" for name in ("RULES", "API", "SERVICING", "ARCHITECTURE")
    ]


def test_undocumented_names_are_found():
    text = "Use `and`, `(or a b)` and `->`.\n```\n`not` in a block\n```\nThe word not, no span.\n"
    assert undocumented(["and", "or", "->", "not"], text) == ["not", "or"]


def test_routes_compare_by_shape():
    assert _same_route("/loans/{loanId}/payments", "/loans/{id}/payments")
    assert _same_route("/rules/order", "/rules/order/")
    assert not _same_route("/jobs/{jobId}", "/jobs")
    assert not _same_route("/rules/{ruleId}/force", "/rules/{id}")


def test_rules_md_json_examples_fit_the_contract():
    """Every JSON example of an action or a rule in docs/rules.md and docs/servicing.md is a valid request."""
    import json

    from pydantic import TypeAdapter

    from lms.contract import Action, RuleCreate

    checked = 0
    for name in ("rules.md", "servicing.md"):
        for block in re.findall(r"```json\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.DOTALL):
            if re.search(r"^\s*\.\.\.\s*$", block, re.MULTILINE):
                continue  # an excerpt ("..." for the rows left out), not a request
            example = json.loads(block)
            if "criteria" in example and "actions" in example:
                RuleCreate.model_validate(example)
            elif "type" in example:
                TypeAdapter(Action).validate_python(example)
            else:
                continue
            checked += 1
    assert checked >= 12
