"""Project YAML files (environment.yml, virtual-packages.yml) read as lockstep reports them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lockstep.shared.errors import InputError
from lockstep.shared.text_files import read_project_text

# libyaml's parser (PyYAML's wheels bundle it): PyYAML's pure-Python one takes minutes on a
# 50 MB environment.yml, one method call a character; the same safe constructors either way.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: not valid YAML{line}; fix the syntax") from None
    except RecursionError:
        # PyYAML composes nested collections recursively; no real file nests this deep.
        raise InputError(f"{path}: nested too deep to read; flatten it") from None
