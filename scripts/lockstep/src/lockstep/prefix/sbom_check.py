"""Does a conda prefix hold exactly what an SBOM says? `python -m lockstep.prefix.sbom_check
PREFIX SBOM` prints one line per difference and exits 1 when there is any.

Standard library only: it runs with the image's own Python, like verify and doctor.
Conda packages are compared with conda-meta/*.json (name, version, build, and the md5 and
sha256 where both sides have them); Python distributions with the *.dist-info and
*.egg-info on disk (name and version).
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lockstep.prefix.installed import CONDA_META, conda_records, installed_distributions
from lockstep.shared.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, InputError
from lockstep.shared.model import normalize_name

HASH_KEYS = {"MD5": "md5", "SHA-256": "sha256"}


def _components(sbom: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [*sbom.get("components", []), sbom.get("metadata", {}).get("component", {})]


def _conda_expected(sbom: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    expected = {}
    for component in _components(sbom):
        purl = component.get("purl", "")
        if not purl.startswith("pkg:conda/"):
            continue
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(purl).query))
        fields = {"version": component["version"], "build": query.get("build", "")}
        for hash_ in component.get("hashes", []):
            if hash_["alg"] in HASH_KEYS:
                fields[HASH_KEYS[hash_["alg"]]] = hash_["content"]
        expected[component["name"]] = fields
    return expected


def _pypi_expected(sbom: Mapping[str, Any]) -> dict[str, str]:
    return {
        normalize_name(component["name"]): component["version"]
        for component in _components(sbom)
        if component.get("purl", "").startswith("pkg:pypi/")
    }


def _conda_installed(prefix: Path) -> dict[str, dict[str, str]]:
    conda_records(prefix)  # the same "not a conda prefix" and unreadable-record errors
    installed = {}
    for path in sorted((prefix / CONDA_META).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = {
            key: str(data[key]) for key in ("version", "build", "md5", "sha256") if data.get(key)
        }
        installed[data["name"]] = fields
    return installed


def _compare(kind: str, expected: Mapping[str, Any], found: Mapping[str, Any]) -> list[str]:
    lines = []
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            lines.append(f"{kind} {name}: in the SBOM, not in the prefix")
        elif name not in expected:
            lines.append(f"{kind} {name}: in the prefix, not in the SBOM")
        elif isinstance(expected[name], str):
            if expected[name] != found[name]:
                lines.append(f"{kind} {name}: SBOM {expected[name]}, prefix {found[name]}")
        else:
            for key, value in sorted(expected[name].items()):
                other = found[name].get(key)
                if other is not None and other != value:
                    lines.append(f"{kind} {name}: {key} SBOM {value}, prefix {other}")
    return lines


def differences(prefix: Path, sbom: Mapping[str, Any]) -> list[str]:
    """One line per difference between the SBOM and the prefix; empty when they agree."""
    records = conda_records(prefix)
    dists = {dist.name: dist.version for dist in installed_distributions(prefix, records)}
    return _compare("conda package", _conda_expected(sbom), _conda_installed(prefix)) + _compare(
        "Python distribution", _pypi_expected(sbom), dists
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lockstep.prefix.sbom_check PREFIX SBOM", file=sys.stderr)
        return EXIT_BAD_INPUT
    prefix, sbom_path = Path(argv[0]), Path(argv[1])
    try:
        sbom = json.loads(sbom_path.read_text(encoding="utf-8"))
        lines = differences(prefix, sbom)
    except (OSError, ValueError, KeyError, InputError) as error:
        print(f"sbom_check: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in lines:
        print(line)
    return EXIT_FAILURE if lines else EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
