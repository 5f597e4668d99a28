"""`lockstep sbom` and lockstep.prefix.sbom_check, on a project locked for real.

The project is the lock scenario's demo (real conda-lock with only its solver replaced,
real Poetry against PyPI) given the example project's shape: numpy from conda, packaging
from PyPI.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conda_package_handling import api as cph
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from lockstep.sbom.purls import conda_file, conda_purl
from tests.lockstep.conftest import _empty_channel
from tests.lockstep.lock_scenario import LockScenario
from tests.support.conda_packages import DistSpec, PackageSpec, build_package, md5_of
from tests.support.http_server import serving

ENVIRONMENT_YML = """\
channels:
  - conda-forge
dependencies:
  - python=3.11
  - six
  - msgpack-python
  - numpy
platforms:
  - linux-64
"""

PYPROJECT_TOML = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11,<3.12"
dependencies = ["msgpack>=1.0", "numpy>=2.1", "packaging>=24"]

[tool.poetry]
package-mode = false

# Test fixture only: this machine's PyPI answers only the simple API.
[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"
"""

REALWORLD = Path(__file__).resolve().parents[1] / "data" / "realworld" / "pairs"

NUMPY = PackageSpec(
    "numpy", "2.1.3", "py311h0_0", dists=[DistSpec("numpy", "2.1.3")], depends=["python"]
)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockScenario]:
    """The demo scenario reshaped like the example project and locked once, for real."""
    channel = _empty_channel(tmp_path_factory.mktemp("sbom-channel"))
    with serving(channel) as running:
        scenario = LockScenario(root=tmp_path_factory.mktemp("sbom"), server=running)
        (scenario.project / "environment.yml").write_text(ENVIRONMENT_YML)
        (scenario.project / "pyproject.toml").write_text(PYPROJECT_TOML)
        del scenario.specs["linux-aarch64"], scenario.packages["linux-aarch64"]
        scenario.specs["linux-64"].append(NUMPY)
        scenario.packages["linux-64"].append(build_package(NUMPY, channel / "linux-64"))
        scenario.set_behaviour("ok")
        result = scenario.lockstep("lock")
        assert result.returncode == 0, result.stderr
        yield scenario


def _sbom(scenario: LockScenario, *extra: str, **env: str) -> str:
    output = scenario.root / "sbom.json"
    result = scenario.lockstep("sbom", "--output", str(output), *extra, **env)
    assert result.returncode == 0, result.stderr
    return output.read_text()


def _by_purl(document: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in document["components"] if c["purl"].startswith(prefix)}


def _property(component: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", []) if p["name"] == name]


def test_sbom_validates_and_lists_numpy_from_conda_packaging_from_pypi(
    example: LockScenario,
) -> None:
    """It writes CycloneDX 1.6 that the reference library accepts, numpy a conda package
    with its lockfile md5 and the numpy distribution linked to it, packaging a PyPI one
    with poetry.lock's hashes, installed by uv."""
    text = _sbom(example)

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = json.loads(text)
    conda = _by_purl(document, "pkg:conda/")
    pypi = _by_purl(document, "pkg:pypi/")
    numpy = conda["numpy"]
    # A channel off anaconda.org is named by its URL (here the loopback server's root).
    assert numpy["purl"] == (
        "pkg:conda/numpy@2.1.3?build=py311h0_0&channel="
        + quote(example.server.url, safe="")
        + "&subdir=linux-64&type=conda"
    )
    built = next(p for p in example.packages["linux-64"] if p.name.startswith("numpy-"))
    assert {"alg": "MD5", "content": md5_of(built)} in numpy["hashes"]
    assert _property(numpy, "lockstep:installer") == ["conda"]
    assert _property(pypi["numpy"], "lockstep:installer") == ["conda"]
    assert _property(pypi["numpy"], "lockstep:conda-package") == [numpy["bom-ref"]]
    provides = {d["ref"]: d.get("provides") for d in document["dependencies"]}
    assert provides[numpy["bom-ref"]] == [pypi["numpy"]["bom-ref"]]
    packaging = pypi["packaging"]
    assert packaging["purl"] == f"pkg:pypi/packaging@{packaging['version']}"
    assert _property(packaging, "lockstep:installer") == ["uv"]
    assert any(" sha256:" in f for f in _property(packaging, "lockstep:pypi-file"))
    assert document["metadata"]["component"]["purl"] == "pkg:pypi/demo@0.1.0"


def test_sbom_is_deterministic(example: LockScenario) -> None:
    """It writes the same bytes twice, no timestamp unless SOURCE_DATE_EPOCH is set."""
    first, second = _sbom(example), _sbom(example)
    stamped = json.loads(_sbom(example, SOURCE_DATE_EPOCH="86400"))

    assert first == second
    assert "timestamp" not in json.loads(first)["metadata"]
    assert stamped["metadata"]["timestamp"] == "1970-01-02T00:00:00Z"
    assert stamped["serialNumber"] != json.loads(first)["serialNumber"]


def _install(package: Path, prefix: Path) -> None:
    """Extract a real package into prefix and record it in conda-meta as conda does."""
    staging = prefix.parent / f"extract-{package.name}"
    cph.extract(str(package), dest_dir=str(staging))
    index = json.loads((staging / "info" / "index.json").read_text())
    files = (staging / "info" / "files").read_text().split()
    site = "lib/python3.11/site-packages/"
    installed = []
    for relative in files:
        # noarch: python files land in the prefix's site-packages, as conda links them.
        target = site + relative.removeprefix("site-packages/") if index.get("noarch") else relative
        (prefix / target).parent.mkdir(parents=True, exist_ok=True)
        (prefix / target).write_bytes((staging / relative).read_bytes())
        installed.append(target)
    record = {
        **index,
        "md5": md5_of(package),
        "sha256": hashlib.sha256(package.read_bytes()).hexdigest(),
        "files": installed,
    }
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    stem = f"{index['name']}-{index['version']}-{index['build']}"
    (meta / f"{stem}.json").write_text(json.dumps(record))


def _pypi_dist(prefix: Path, name: str, version: str) -> None:
    info = prefix / "lib/python3.11/site-packages" / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "INSTALLER").write_text("uv\n")


@pytest.fixture
def image_prefix(example: LockScenario, tmp_path: Path) -> tuple[Path, Path]:
    """A prefix holding the locked packages' real files and what uv would add; the SBOM."""
    prefix = tmp_path / "env"
    for package in example.packages["linux-64"]:
        _install(package, prefix)
    document = json.loads(_sbom(example))
    for component in _by_purl(document, "pkg:pypi/").values():
        if _property(component, "lockstep:installer") == ["uv"]:
            _pypi_dist(prefix, component["name"], component["version"])
    _pypi_dist(prefix, "demo", "0.1.0")
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(document))
    return prefix, sbom


def _check(prefix: Path, sbom: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lockstep.prefix.sbom_check", str(prefix), str(sbom)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_sbom_check_passes_on_the_locked_prefix(image_prefix: tuple[Path, Path]) -> None:
    """It exits 0 and prints nothing when the prefix holds what the SBOM says."""
    result = _check(*image_prefix)

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_sbom_check_names_a_changed_version(image_prefix: tuple[Path, Path]) -> None:
    """It exits 1 naming the conda package whose record says another version."""
    prefix, sbom = image_prefix
    record = next((prefix / "conda-meta").glob("six-*.json"))
    data = json.loads(record.read_text())
    record.write_text(json.dumps({**data, "version": "1.17.0"}))

    result = _check(prefix, sbom)

    assert result.returncode == 1
    assert result.stdout == "conda package six: version SBOM 1.16.0, prefix 1.17.0\n"


def test_sbom_check_names_a_missing_package(image_prefix: tuple[Path, Path]) -> None:
    """It exits 1 naming a distribution the SBOM lists and the prefix lacks."""
    prefix, sbom = image_prefix
    for info in (prefix / "lib/python3.11/site-packages").glob("packaging-*.dist-info"):
        for file in info.iterdir():
            file.unlink()
        info.rmdir()

    result = _check(prefix, sbom)

    assert result.returncode == 1
    assert result.stdout == "Python distribution packaging: in the SBOM, not in the prefix\n"


def test_conda_forge_purl_of_a_real_lockfile_line() -> None:
    """It names a conda-forge package as the purl spec's conda examples do: channel by
    name, build, subdir and archive type as qualifiers."""
    lock = REALWORLD / "template" / "conda-linux-64.lock"
    line = next(x for x in lock.read_text().splitlines() if "/numpy-" in x)

    purl = conda_purl(conda_file(line))

    assert purl == (
        "pkg:conda/numpy@1.24.2?build=py310h8deb116_0&channel=conda-forge&subdir=linux-64&type=conda"
    )


def test_sbom_check_reads_micromambas_own_record(tmp_path: Path) -> None:
    """It compares md5 and sha256 with the record micromamba 2.5.0 really wrote for numpy,
    and names the hash that differs."""
    recorded = Path(__file__).resolve().parents[1] / "data" / "recorded" / "conda-meta-numpy.json"
    record = json.loads(recorded.read_text())
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "numpy-2.5.5-py312h8ce0aa3_0.json").write_text(json.dumps(record))
    purl = "pkg:conda/numpy@2.5.5?build=py312h8ce0aa3_0&channel=conda-forge&subdir=linux-64"
    component = {"name": "numpy", "version": "2.5.5", "purl": purl + "&type=conda"}
    sbom = tmp_path / "sbom.json"

    sbom.write_text(
        json.dumps(
            {
                "components": [
                    {
                        **component,
                        "hashes": [
                            {"alg": "MD5", "content": record["md5"]},
                            {"alg": "SHA-256", "content": record["sha256"]},
                        ],
                    }
                ]
            }
        )
    )
    agreeing = _check(prefix, sbom)
    sbom.write_text(
        json.dumps(
            {
                "components": [
                    {
                        **component,
                        "hashes": [
                            {"alg": "MD5", "content": "0" * 32},
                        ],
                    }
                ]
            }
        )
    )
    differing = _check(prefix, sbom)

    assert (agreeing.returncode, agreeing.stdout) == (0, "")
    assert differing.returncode == 1
    assert differing.stdout == f"conda package numpy: md5 SBOM {'0' * 32}, prefix {record['md5']}\n"
