"""Project YAML files (environment.yml, virtual-packages.yml) read as lockstep reports them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from lockstep.shared.errors import InputError
from lockstep.shared.text_files import read_project_text

# libyaml's parser (PyYAML's wheels bundle it): PyYAML's pure-Python one takes minutes on a
# 50 MB environment.yml, one method call a character; the same safe constructors either way.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@contextmanager
def libyaml_for_safe_load() -> Iterator[None]:
    """PyYAML's `safe_load` with libyaml's parser for the block: conda-lock reads
    environment.yml with `yaml.safe_load`, PyYAML's pure-Python parser, once per platform
    and once more for the platforms (a 10 MB file took 70 s in `check`). The C loader
    builds the same data with the same safe constructors; the hashes computed from it
    are checked against real conda-lock lockfiles (test_realworld_freshness.py)."""
    if SAFE_LOADER is yaml.SafeLoader:
        yield
        return
    python_safe_load = yaml.safe_load

    def libyaml_safe_load(stream: Any) -> Any:
        return yaml.load(stream, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)

    yaml.safe_load = libyaml_safe_load
    try:
        yield
    finally:
        yaml.safe_load = python_safe_load


def load_yaml(text: str) -> Any:
    """yaml.safe_load, with libyaml's parser when PyYAML has it."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader, C or Python)


def read_project_yaml(path: Path) -> Any:
    """The file's YAML data; a syntax error is one InputError line with its line number.

    FileNotFoundError is left to the caller, whose message says what the file is for.
    """
    text = read_project_text(path).text
    try:
        return load_yaml(text)
    except yaml.YAMLError as error:
        raise yaml_input_error(path, error) from None
    except RecursionError:
        # PyYAML composes nested collections recursively; no real file nests this deep.
        raise InputError(f"{path}: nested too deep to read; flatten it") from None


def yaml_input_error(path: Path, error: yaml.YAMLError) -> InputError:
    """The one line for a file PyYAML refused: where, and what to do about it."""
    mark = getattr(error, "problem_mark", None)
    line = f" at line {mark.line + 1}" if mark is not None else ""
    # libyaml refuses past its depth limit (1,000) where PyYAML's Python reader recurses:
    # the file is valid YAML, so "fix the syntax" would send the user looking for a typo.
    if "nesting depth" in (getattr(error, "problem", None) or ""):
        return InputError(f"{path}: nested too deep to read{line}; flatten it")
    return InputError(f"{path}: not valid YAML{line}; fix the syntax")
