"""The docs name only what exists: every code span of README.md and docs/*.md is read, and
the paths, make targets, settings and `lockstep` subcommands it names are checked against
the repository, the Makefile and lockstep's parser."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.template.make import REPO_ROOT
from tests.template.test_makefile import rule_targets, settings
from tests.template.test_readme import lockstep_subcommands

# Paths a doc may name that the repository does not hold, each with the reason.
NOT_IN_THE_REPOSITORY = {
    ".venvs/": "made by the first `make test`",
    ".venvs/*": "made by `make test` (its environments)",
    ".lockstep-staging": "exists only while lockstep runs",
    "conda-*.lock": "the lockfiles: written by the first `make build` (none is committed)",
    "conda-<platform>.lock": "the lockfiles' name pattern",
    "conda-lock.yml": "a user's unified conda-lock lockfile, which import reads (docs/import.md)",
    "poetry.lock": "written by the first `make build` (none is committed)",
    "virtual-packages.yml": "a file a CUDA project writes (docs/cuda.md)",
    "__init__.py": "a file of the package `make init` creates (docs/init.md)",
    "__main__.py": "a file of the package `make init` creates (docs/init.md)",
    "info/": "the metadata directory inside a conda package",
    "uv_cache.json": "what uv writes into an installed wheel's metadata (the image removes it)",
    ".lock": "uv's lock file in a prefix it installs into (the image removes it)",
    "conda-meta/history": "a file of the conda environment, in the image",
    "moby/buildkit": "BuildKit's image on Docker Hub",
    "conda-meta/*.json": "conda's package records, in the image's environment",
    "build/sbom/cyclonedx.json": "the SBOM `make build` and `make sbom` write (docs/sbom.md)",
}
# Names a doc may give in capitals that no file here reads: other tools' settings.
OTHER_TOOLS_NAMES = {
    "HTTP_PROXY": "Docker's proxy setting",
    "HTTPS_PROXY": "Docker's proxy setting",
    "NO_PROXY": "Docker's proxy setting",
    "PATH": "the shell's",
    "HOME": "the shell's",
    "CONDA_PREFIX": "what Poetry reads to find the Python it locks with",
}
# Where a name in capitals must occur to be one that exists: the product and its tests' runner.
NAME_SOURCES = ("Makefile", "Dockerfile", "docker", "scripts/lockstep/src", "tests/e2e", ".github")
FILE_SUFFIXES = (".md", ".yml", ".yaml", ".toml", ".txt", ".lock", ".py", ".sh", ".json", ".in")
_SETTING = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=")
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*[A-Z0-9]$")


@dataclass(frozen=True)
class Span:
    doc: Path
    line: int
    text: str

    def where(self) -> str:
        shown = self.doc.relative_to(REPO_ROOT) if self.doc.is_relative_to(REPO_ROOT) else self.doc
        return f"{shown}:{self.line}: `{self.text}`"


def docs() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def code_spans(doc: Path) -> Iterator[Span]:
    """The inline code spans of a Markdown file (CommonMark, as markdown-it reads it)."""
    for token in MarkdownIt("commonmark").enable("table").parse(doc.read_text(encoding="utf-8")):
        if token.type != "inline" or not token.children:
            continue
        line = token.map[0] + 1 if token.map else 0
        for child in token.children:
            if child.type == "code_inline":
                yield Span(doc, line, child.content.strip())


def shell_commands(doc: Path) -> Iterator[Span]:
    """The `make ...` and `lockstep ...` lines of a Markdown file's bash code blocks."""
    for token in MarkdownIt("commonmark").parse(doc.read_text(encoding="utf-8")):
        if token.type != "fence" or token.info.strip() not in ("bash", "sh", "console"):
            continue
        start = token.map[0] + 2 if token.map else 0
        for offset, line in enumerate(token.content.replace("\\\n", " ").splitlines()):
            command: list[str] = []
            for word in [*shlex.split(line, comments=True), ";"]:
                if word not in ("&&", "||", "|", ";"):
                    command.append(word)
                    continue
                if command[:1] in (["make"], ["lockstep"]):
                    yield Span(doc, start + offset, shlex.join(command))
                command = []


def links(doc: Path) -> Iterator[Span]:
    """The relative link targets of a Markdown file."""
    for token in MarkdownIt("commonmark").enable("table").parse(doc.read_text(encoding="utf-8")):
        for child in token.children or []:
            href = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
            if href and not re.match(r"^[a-z]+:|^#", href):
                line = token.map[0] + 1 if token.map else 0
                yield Span(doc, line, href.split("#")[0])


def _looks_like_a_path(text: str) -> bool:
    if re.search(r"[\s=<>(){}\[\]'\"$@,|]|\.\.\.|^-|^~|^/|^[a-z]+://", text):
        return False  # a command, a placeholder, a host or image path (/opt/env), a URL
    if re.match(r"^(linux|osx|win)/", text) or text.startswith(("REGISTRY/", "CACHE_REF")):
        return False  # a Docker platform or an image reference
    return ("/" in text and ":" not in text) or text.endswith(FILE_SUFFIXES)


def path_problems(span: Span) -> list[str]:
    text = span.text
    if not _looks_like_a_path(text) or any(fnmatch(text, p) for p in NOT_IN_THE_REPOSITORY):
        return []
    for base in (REPO_ROOT, span.doc.parent):
        if any(base.glob(text.rstrip("/"))) or (base / text).exists():
            return []
    return [f"{span.where()}: no such file or directory in the repository"]


def make_problems(span: Span, targets: set[str], known: set[str]) -> list[str]:
    if not span.text.startswith("make "):
        return []  # prose in a code span (`the example's ...`) is no command line
    words = shlex.split(span.text)
    if len(words) < 2 or words[0] != "make" or not re.match(r"^[a-z][a-z0-9-]*$", words[1]):
        return []
    problems = [] if words[1] in targets else [f"{span.where()}: no make target {words[1]}"]
    for word in words[2:]:
        setting = _SETTING.match(word)
        if setting and setting["name"] not in known:
            problems.append(f"{span.where()}: no Makefile setting {setting['name']}")
    return problems


def lockstep_problems(span: Span, commands: set[str]) -> list[str]:
    words = span.text.split()
    if len(words) < 2 or words[0] != "lockstep" or words[1].startswith("-"):
        return []
    if words[1] in commands:
        return []
    return [f"{span.where()}: no lockstep subcommand {words[1]}"]


def _product_text() -> str:
    texts: list[str] = []
    for name in NAME_SOURCES:
        path = REPO_ROOT / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        texts.extend(f.read_text(encoding="utf-8", errors="replace") for f in files)
    return "\n".join(texts)


def name_problems(span: Span, known: set[str], product: str) -> list[str]:
    """A setting (`NAME` or `NAME=value`): one the Makefile reads, or a name the product uses."""
    setting = _SETTING.match(span.text)
    name = setting["name"] if setting else span.text
    if not _NAME.match(name) or name in known or name in OTHER_TOOLS_NAMES:
        return []
    if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", product):
        return []
    return [f"{span.where()}: {name} is neither a Makefile setting nor read anywhere"]


def problems_in(paths: list[Path]) -> list[str]:
    targets, known, commands = rule_targets(), settings(), lockstep_subcommands()
    product = _product_text()
    found: list[str] = []
    for doc in paths:
        for span in code_spans(doc):
            found += path_problems(span)
            found += make_problems(span, targets, known)
            found += lockstep_problems(span, commands)
            found += name_problems(span, known, product)
        for span in shell_commands(doc):
            found += make_problems(span, targets, known)
            found += lockstep_problems(span, commands)
    return found


def test_the_docs_name_only_what_exists() -> None:
    """Every path, make target, setting and lockstep subcommand in a code span exists."""
    assert docs()
    assert problems_in(docs()) == []


def test_the_docs_links_reach_files() -> None:
    """Every relative link of README.md and docs/*.md is a file of the repository."""
    missing = [
        span.where()
        for doc in docs()
        for span in links(doc)
        if not (doc.parent / span.text).exists()
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("span", "named"),
    [
        ("`docs/no-such-page.md`", "no such file or directory"),
        ("`scripts/lockstep/src/lockstep/no_such_module.py`", "no such file or directory"),
        ("`make no-such-target`", "no make target no-such-target"),
        ("`make build NO_SUCH_SETTING=1`", "no Makefile setting NO_SUCH_SETTING"),
        ("`NO_SUCH_SETTING`", "NO_SUCH_SETTING is neither a Makefile setting"),
        ("`lockstep no-such-command --project .`", "no lockstep subcommand no-such-command"),
        ("\n\n```bash\nmake no-such-target   # a comment\n```\n", "no make target no-such"),
    ],
)
def test_a_doc_naming_what_does_not_exist_fails(tmp_path: Path, span: str, named: str) -> None:
    """A doc that names a missing file, target, setting or subcommand is found out."""
    doc = tmp_path / "page.md"
    doc.write_text(f"# A page\n\nRun {span} and `make build` with `Makefile`.\n")
    found = problems_in([doc])
    assert len(found) == 1, found
    assert named in found[0]
