"""`lockstep import` on all 71 real environment.yml files of tests/data/realworld/inputs/env/.

Each goes into a fresh project with a pyproject.toml: its own repository's where there is
one (gwasstudio, karaoke-prep, conda-poetry-setup, ttyg-evaluation); otherwise, in turn,
a real PEP 621 or Poetry 1 one from tests/data/realworld/inputs/pyproject/ with its python
constraint taken out (it belonged to another project; the import derives one), or a
minimal PEP 621 one. The bulk runs in this process; a sample runs the real command.

What must hold: each file imports, or is refused in one line naming the file (exit 2),
never a traceback; an import passes lockstep's input validation (`lockstep check` exits 1:
valid, and not locked yet), keeps every pip entry (in pyproject.toml, or on the conda side
when conda lists it too), passes Poetry 2.5.1's own `poetry check`, and a second import
changes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomlkit
import yaml
from conda_lock.lookup import DEFAULT_MAPPING_URL
from conda_lock.src_parser import make_lock_spec
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lockstep.cli import main
from lockstep.importing.run import ImportResult, import_project
from lockstep.shared.errors import InputError
from lockstep.shared.text_files import read_converting
from lockstep.shared.toml_reader import tomllib
from tests.lockstep.lock_scenario import REPO_ROOT
from tests.support.in_process import run_lockstep

REALWORLD = REPO_ROOT / "tests" / "data" / "realworld" / "inputs"
ENVIRONMENTS = sorted((REALWORLD / "env").glob("*.yml"))
OWN_PYPROJECT = {
    "gwasstudio-2025": "gwasstudio",
    "gwasstudio-base": "gwasstudio",
    "gwasstudio-docker": "gwasstudio",
    "karaoke-prep-2023": "karaoke-prep-2023",
    "template-conda-poetry-setup": "template-conda-poetry-setup",
    "ttyg-evaluation": "ttyg-evaluation",
}
# PEP 621 and Poetry 1 projects in turn; None is the minimal PEP 621 one.
ROTATION = (
    "this-template",
    "rich",
    "poetry-plugin-export",
    "returns",
    "cleo",
    "strawberry-2025",
    "poetry",
    "wemake-python-styleguide",
    None,
    "tortoise-orm",
    "hypermodern-instance",
    "qdrant-client",
    "pulse-from-face-pytorch",
    "karaoke-gen",
    "condalock-test-poetry",
)
MINIMAL_PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\n'

# Every refusal, and why: what lockstep requires of every project, or bad input.
REFUSED = {
    "1kastner-pinned-utf16": "is a package list (`conda list --export`",
    "fv3net-dataflow": "is a local path whose package name lockstep cannot read",
    "gwasstudio-base": "python '3.12.*' (it allows 3.12.0) disagrees with requires-python",
    "karaoke-prep-2023": "python '>=3.10' (it allows 3.13.0) disagrees with requires-python",
    "s-parastell": "names no package; write it as `NAME @ git+https",
}
# Run by Poetry's own interpreter: Poetry 2.5.1's `poetry check` for each directory,
# in one process (a process per project would cost half a second each).
POETRY_CHECK = """
import json, sys
from cleo.io.inputs.argv_input import ArgvInput
from cleo.io.outputs.buffered_output import BufferedOutput
from poetry.console.application import Application
results = {}
for directory in sys.argv[1:]:
    application = Application()
    application.auto_exits(False)
    output, errors = BufferedOutput(), BufferedOutput()
    code = application.run(ArgvInput(["poetry", "check", "--directory", directory]), output, errors)
    results[directory] = [code, output.fetch() + errors.fetch()]
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Outcome:
    root: Path
    source: Path
    result: ImportResult | None
    refusal: str | None


def make_project(root: Path, environment: Path, index: int) -> Path:
    root.mkdir(parents=True)
    shutil.copyfile(environment, root / "environment.yml")
    own = OWN_PYPROJECT.get(environment.stem)
    picked = own or ROTATION[index % len(ROTATION)]
    if picked is None:
        text = MINIMAL_PYPROJECT
    else:
        document = tomlkit.parse((REALWORLD / "pyproject" / f"{picked}.toml").read_text())
        if own is None:
            document.get("project", {}).pop("requires-python", None)
            document.get("tool", {}).get("poetry", {}).get("dependencies", {}).pop("python", None)
        text = tomlkit.dumps(document)
    (root / "pyproject.toml").write_text(text)
    # Poetry checks that a declared readme exists.
    data = tomllib.loads(text)
    readme = data.get("project", {}).get("readme") or data.get("tool", {}).get("poetry", {}).get(
        "readme"
    )
    for name in [readme] if isinstance(readme, str) else readme or []:
        (root / name).write_text("readme\n")
    return root


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("realworld-import")
    found: dict[str, Outcome] = {}
    crashes = []
    for index, environment in enumerate(ENVIRONMENTS):
        root = make_project(base / environment.stem, environment, index)
        try:
            result = import_project(project=root)
        except InputError as error:
            found[environment.stem] = Outcome(root, environment, None, str(error))
        except Exception:  # a crash is this test's finding: collected, then reported
            crashes.append(f"{environment.name}:\n{traceback.format_exc()}")
        else:
            found[environment.stem] = Outcome(root, environment, result, None)
    assert not crashes, "\n".join(crashes)
    return found


def imported(outcomes: dict[str, Outcome]) -> list[Outcome]:
    return [outcome for outcome in outcomes.values() if outcome.result is not None]


def test_every_file_imports_or_is_refused_in_one_line(outcomes: dict[str, Outcome]) -> None:
    """It imports 66 of the 71 files and refuses 5, each refusal one line naming the
    project's environment.yml and why. A file naming no python gets one (18 of them)."""
    assert len(outcomes) == len(ENVIRONMENTS) == 71
    refused = {name: o.refusal for name, o in outcomes.items() if o.refusal is not None}
    assert sorted(refused) == sorted(REFUSED)
    for name, refusal in refused.items():
        assert refusal.startswith(f"{outcomes[name].root}/environment.yml: "), refusal
        assert REFUSED[name] in refusal
        assert "\n" not in refusal
    assert len(imported(outcomes)) == 66


def pip_names(environment: Path) -> set[str]:
    """The packages a file's pip: sections name, read independently of the importer."""
    data = yaml.safe_load(read_converting(environment).text)
    names: set[str] = set()
    for item in data["dependencies"]:
        if not isinstance(item, dict) or "pip" not in item:
            continue
        for entry in item["pip"] or []:
            text = re.sub(r"^(-e|--editable)\s+", "", str(entry).strip())
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", text)
            if egg:
                names.add(canonicalize_name(egg.group(1)))
            elif not text.startswith((".", "-")):
                names.add(canonicalize_name(Requirement(text).name))
    return names


def declared_names(pyproject: Path) -> set[str]:
    data = tomllib.loads(pyproject.read_text())
    names: set[str] = {
        canonicalize_name(name)
        for name in data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    }
    for entry in data.get("project", {}).get("dependencies", []):
        names.add(canonicalize_name(Requirement(entry).name))
    return names


def conda_names(environment: Path) -> set[str]:
    """The conda packages an imported environment.yml names, as conda-lock 4.0.3 (which
    locks it) reads them on any of its platforms, not as lockstep's importer does."""
    spec = make_lock_spec(src_files=[environment], mapping_url=DEFAULT_MAPPING_URL)
    return {
        canonicalize_name(dependency.name)
        for dependencies in spec.dependencies.values()
        for dependency in dependencies
        if dependency.manager == "conda"
    }


def test_every_pip_entry_is_kept(outcomes: dict[str, Outcome]) -> None:
    """It keeps every pip entry of every imported file: in pyproject.toml, or on the
    conda side when environment.yml lists the package too (and says so)."""
    moved = 0
    for outcome in imported(outcomes):
        expected = pip_names(outcome.source)
        conda = conda_names(outcome.root / "environment.yml")
        declared = declared_names(outcome.root / "pyproject.toml")
        assert expected - conda <= declared, outcome.source.name
        assert outcome.result is not None
        for name in expected & conda:
            assert any(
                line.startswith("kept on the conda side: ")
                and canonicalize_name(line.split()[5]) == name
                for line in outcome.result.lines
            ), (outcome.source.name, name)
        moved += len(expected - conda)
    assert moved > 1000  # most of them are `conda env export` pip sections


def test_imports_pass_lockstep_input_validation(
    outcomes: dict[str, Outcome], capsys: pytest.CaptureFixture[str]
) -> None:
    """`lockstep check` finds every import valid input: exit 1, stale (nothing is locked
    yet), never 2."""
    codes = {
        name: main(["check", "--project", str(outcome.root)])
        for name, outcome in outcomes.items()
        if outcome.result is not None
    }
    capsys.readouterr()
    assert set(codes.values()) == {1}, {name: code for name, code in codes.items() if code != 1}


def test_imports_pass_poetry_check(outcomes: dict[str, Outcome]) -> None:
    """Poetry 2.5.1's own `poetry check` passes on every imported pyproject.toml (offline)."""
    poetry = shutil.which("poetry")
    if poetry is None:
        pytest.skip("Poetry is not on PATH (make test puts .venvs/bin there)")
    python = Path(poetry).resolve().parent / "python"
    directories = [str(outcome.root) for outcome in imported(outcomes)]
    answer = subprocess.run(
        [str(python), "-c", POETRY_CHECK, *directories],
        capture_output=True,
        text=True,
        check=True,
    )
    failed = {
        directory: output
        for directory, (code, output) in json.loads(answer.stdout).items()
        if code != 0
    }
    assert failed == {}


def test_a_second_import_changes_nothing(outcomes: dict[str, Outcome]) -> None:
    """It finds nothing to import in any project it has imported."""
    for outcome in imported(outcomes):
        again = import_project(project=outcome.root)
        assert again.changed == (), outcome.source.name


@pytest.mark.parametrize(
    "name",
    ["raven-utf16-2023", "s-Pytorch_Learn", "cinpla-base", "s-parastell", "gwasstudio-base"],
)
def test_the_command_agrees(tmp_path: Path, name: str) -> None:
    """The real `lockstep import` process: exit 0 with one line per change and the next
    step, or exit 2 with exactly one line on stderr; never a traceback."""
    environment = REALWORLD / "env" / f"{name}.yml"
    root = make_project(tmp_path / name, environment, ENVIRONMENTS.index(environment))

    result = run_lockstep(["import", "--project", str(root)])

    if name in REFUSED:
        assert result.returncode == 2
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"lockstep: error: {root}/environment.yml: ")
        assert REFUSED[name] in line
    else:
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
        assert result.stdout.splitlines()[-1].endswith("run `make env-update` to lock them")
