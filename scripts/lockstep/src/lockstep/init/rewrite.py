"""Text edits that turn the template's files into the project's; each takes and returns text.

The example's name is a distribution name in some places (images, the environment,
the project) and a package name in others (paths, `python -m`, imports): the
context decides, as `_is_package_context` says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lockstep.init.names import ProjectName

# Where a README (or any text file) marks a part that only the example needs:
# init replaces each such block with the text after `example:` on the opening line.
_EXAMPLE_BLOCK = re.compile(
    r"^[ \t]*<!-- example:(?P<replacement>[^>]*?)-->\n.*?^[ \t]*<!-- /example -->[ \t]*\n",
    re.MULTILINE | re.DOTALL,
)


def _is_package_context(text: str, start: int, end: int) -> bool:
    after = text[end : end + 2]
    before = text[max(0, start - 8) : start]
    if after.startswith("/") or re.match(r"\.[A-Za-z_]", after):
        return True
    return bool(re.search(r'(-m |-m", "|import |from |src/|tests/)$', before))


def rename(text: str, example: str, name: ProjectName) -> str:
    """Every mention of the example, as the new distribution or package name."""
    # A `python -c` snippet that uses the example's code: run the new package instead.
    text = re.sub(
        rf"python -c '[^'\n]*\b{re.escape(example)}\b[^'\n]*'",
        f"python -m {name.package}",
        text,
    )
    pattern = re.compile(rf"\b{re.escape(example)}\b", re.IGNORECASE)

    def replace(match: re.Match[str]) -> str:
        if _is_package_context(text, match.start(), match.end()):
            return name.package
        return name.distribution

    return pattern.sub(replace, text)


def replace_example_blocks(text: str, name: ProjectName) -> str:
    """Each `<!-- example: TEXT -->` ... `<!-- /example -->` block, as TEXT (with {name})."""

    def replace(match: re.Match[str]) -> str:
        replacement = match.group("replacement").strip()
        return f"{replacement.format(name=name.distribution)}\n" if replacement else ""

    return _EXAMPLE_BLOCK.sub(replace, text)


def without_make_targets(text: str, targets: Iterable[str]) -> str:
    """The Makefile without the paragraphs (blank-line separated) that define `targets`."""
    paragraphs = re.split(r"(?<=\n)\n", text)
    wanted = set(targets)

    def defines(paragraph: str) -> bool:
        rules = re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", paragraph, re.MULTILINE)
        return any(rule in wanted for rule in rules)

    return "\n".join(paragraph for paragraph in paragraphs if not defines(paragraph))


def without_make_settings(text: str, settings: Iterable[str]) -> str:
    """The Makefile without the `NAME ?=` lines of `settings` and the `#:` lines above them."""
    for setting in settings:
        text = re.sub(
            rf"^(#:[^\n]*\n)*{re.escape(setting)} \?=[^\n]*\n", "", text, flags=re.MULTILINE
        )
    return text


def without_workflow_job(text: str, job: str) -> str:
    """A GitHub workflow without one job (two-space indented under `jobs:`) and its comments."""
    lines = text.splitlines(keepends=True)
    start = next((index for index, line in enumerate(lines) if line.rstrip() == f"  {job}:"), None)
    if start is None:
        return text
    end = start + 1
    while end < len(lines) and (lines[end].startswith("   ") or not lines[end].strip()):
        end += 1
    # The job's own blank line before it stays with the previous job; trailing ones go.
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    kept = lines[:start] + lines[end:]
    while kept and not kept[-1].strip():
        kept.pop()
    return "".join(kept)


def without_conda_dependencies(text: str, names: Iterable[str]) -> str:
    """environment.yml without the list entries naming `names` (comments and order kept)."""
    for dependency in names:
        text = re.sub(
            rf"^[ \t]*-[ \t]*{re.escape(dependency)}(?![A-Za-z0-9_.-])[^\n]*\n",
            "",
            text,
            flags=re.MULTILINE,
        )
    return text
