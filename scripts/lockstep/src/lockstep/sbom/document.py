"""The CycloneDX 1.6 JSON document, written with the standard library's json.

Deterministic: components sorted by bom-ref, keys sorted, no timestamp unless
SOURCE_DATE_EPOCH is given, and a serialNumber derived from the content, so that the
SBOM can be part of a reproducible image. (The reference library, cyclonedx-python-lib,
validates it in the tests; the product needs nothing beyond json for a flat document.)
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from lockstep import __version__
from lockstep.sbom.poetry_lock import LockedDistribution
from lockstep.sbom.purls import conda_file, conda_purl, pypi_purl
from lockstep.shared.explicit_lockfile import LockedPackage
from lockstep.shared.model import PythonDistribution

SPEC_VERSION = "1.6"
INSTALLER = "lockstep:installer"
PROVIDED_BY = "lockstep:conda-package"
PYPI_FILE = "lockstep:pypi-file"
PLATFORM = "lockstep:platform"
PYPI_INSTALLER = "uv"


class Project(NamedTuple):
    name: str
    version: str


def _property(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def _conda_component(package: LockedPackage) -> dict[str, Any]:
    identity = conda_file(package.url)
    purl = conda_purl(identity)
    hashes = [{"alg": "MD5", "content": package.md5}] if package.md5 else []
    if package.sha256:
        hashes.append({"alg": "SHA-256", "content": package.sha256})
    component: dict[str, Any] = {
        "type": "library",
        "bom-ref": purl,
        "name": identity.name,
        "version": identity.version,
        "purl": purl,
        "externalReferences": [{"type": "distribution", "url": package.url}],
        "properties": [_property(INSTALLER, "conda")],
    }
    if hashes:
        component["hashes"] = hashes
    return component


def _pypi_component(
    name: str, version: str, *, installer: str, properties: Sequence[dict[str, str]] = ()
) -> dict[str, Any]:
    purl = pypi_purl(name, version)
    return {
        "type": "library",
        "bom-ref": purl,
        "name": name,
        "version": version,
        "purl": purl,
        "properties": [_property(INSTALLER, installer), *properties],
    }


def sbom_document(
    *,
    project: Project,
    platform: str,
    conda: Mapping[LockedPackage, Sequence[PythonDistribution]],
    pypi: Sequence[LockedDistribution],
    source_date_epoch: int | None = None,
) -> dict[str, Any]:
    components: dict[str, dict[str, Any]] = {}
    dependencies = []
    provided_names = set()
    for package, dists in conda.items():
        component = _conda_component(package)
        components[component["bom-ref"]] = component
        provided = []
        for dist in dists:
            # Conda installed this distribution: uv finds it in place and leaves it.
            link = [_property(PROVIDED_BY, component["bom-ref"])]
            child = _pypi_component(dist.name, dist.version, installer="conda", properties=link)
            components[child["bom-ref"]] = child
            provided.append(child["bom-ref"])
            provided_names.add(dist.name)
        if provided:
            dependencies.append({"ref": component["bom-ref"], "provides": sorted(provided)})
    for locked in pypi:
        if locked.name in provided_names:
            continue
        files = [_property(PYPI_FILE, f"{file} {digest}") for file, digest in locked.files]
        component = _pypi_component(
            locked.name, locked.version, installer=PYPI_INSTALLER, properties=files
        )
        components[component["bom-ref"]] = component
    project_purl = pypi_purl(project.name, project.version)
    metadata: dict[str, Any] = {
        "component": {
            "type": "application",
            "bom-ref": project_purl,
            "name": project.name,
            "version": project.version,
            "purl": project_purl,
            "properties": [_property(INSTALLER, PYPI_INSTALLER)],
        },
        "tools": {
            "components": [{"type": "application", "name": "lockstep", "version": __version__}]
        },
        "properties": [_property(PLATFORM, platform)],
    }
    if source_date_epoch is not None:
        moment = datetime.datetime.fromtimestamp(source_date_epoch, tz=datetime.timezone.utc)
        metadata["timestamp"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": [components[ref] for ref in sorted(components)],
        "dependencies": sorted(dependencies, key=lambda item: item["ref"]),
    }
    digest = hashlib.sha256(render(document).encode()).hexdigest()
    document["serialNumber"] = f"urn:uuid:{uuid.UUID(digest[:32], version=5)}"
    return document


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
