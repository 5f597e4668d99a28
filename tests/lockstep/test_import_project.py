"""`lockstep import` on whole projects: what it writes, says and refuses, and exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from lockstep.cli import main
from lockstep.importing.pyproject_writer import write_pyproject
from lockstep.shared.errors import InputError
from lockstep.shared.project import ProjectFiles
from lockstep.shared.staging import Staging
from lockstep.shared.toml_reader import tomllib
from tests.lockstep.lock_scenario import REPO_ROOT, tree_digest
from tests.support.in_process import run_lockstep

PEP621 = """\
[project]
name = "demo"
version = "0.1.0"
dependencies = [
    # the project's own
    "packaging>=24",
]

[tool.poetry]
package-mode = false
"""
POETRY1 = """\
[tool.poetry]
name = "demo"
version = "0.1.0"
description = ""
authors = []
package-mode = false

[tool.poetry.dependencies]
click = "^8"
"""
ENVIRONMENT = """\
name: demo
channels:
  - conda-forge
dependencies:
  - python=3.11
  - numpy
  - pip
  - pip:
    - numpy==1.26.4
    - rich>=13
    - -e .
"""


def project(root: Path, *, pyproject: str = PEP621, environment: str = ENVIRONMENT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject)
    (root / "environment.yml").write_text(environment)
    return root


def run_import(
    capsys: pytest.CaptureFixture[str], root: Path, *args: str
) -> tuple[int, list[str], list[str]]:
    """`lockstep import` through the CLI's own entry point, in this process."""
    code = main(["import", "--project", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_pip_entries_move_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    """It moves the pip: section to [project] dependencies, leaves numpy on the conda side,
    drops `-e .`, derives requires-python, says each in one line and what to run next;
    run again, it changes nothing and says so (a real `lockstep import` process)."""
    root = project(tmp_path / "p")
    command = [sys.executable, "-m", "lockstep", "import", "--project", str(root)]

    first = subprocess.run(command, capture_output=True, text=True, check=False)

    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines() == [
        "added: platforms: linux-64, linux-aarch64 (lockstep's defaults, now written down)",
        "dropped: -e . (the project itself: Poetry installs it)",
        "kept on the conda side: numpy (environment.yml lists it; the pip entry numpy==1.26.4"
        " is dropped)",
        'added: requires-python = ">=3.11,<3.12" (from environment.yml\'s python)',
        "moved: rich>=13 -> [project] dependencies: rich>=13",
        "lockstep: imported into environment.yml, pyproject.toml; run `make env-update` to"
        " lock them",
    ]
    assert (root / "environment.yml").read_text() == (
        "name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - numpy\n"
        "  - pip\nplatforms:\n  - linux-64\n  - linux-aarch64\n"
    )
    assert (root / "pyproject.toml").read_text() == PEP621.replace(
        '    "packaging>=24",\n]\n',
        '    "packaging>=24",\n    "rich>=13",\n]\nrequires-python = ">=3.11,<3.12"\n',
    )
    before = tree_digest(root)

    second = subprocess.run(command, capture_output=True, text=True, check=False)

    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout.splitlines() == [
        "lockstep: nothing to import; environment.yml and pyproject.toml are in shape"
    ]
    assert tree_digest(root) == before
    check = run_lockstep(["check", "--project", str(root)])
    assert check.returncode == 1, check.stderr  # valid input, no lockfiles yet


def test_an_import_has_conda_lock_parse_environment_yml_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once for its python and once for the input hash, as `lockstep check` then does: a
    third parse, validating again what was validated before pyproject.toml was written,
    was a quarter of an import's time."""
    from conda_lock.src_parser import environment_yaml

    parsed: list[Path] = []
    parse = environment_yaml.parse_environment_file

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        parsed.append(Path(path))
        return parse(path, *args, **kwargs)

    monkeypatch.setattr(environment_yaml, "parse_environment_file", counting)
    monkeypatch.setattr("conda_lock.src_parser.parse_environment_file", counting)

    code, _, errors = run_import(capsys, project(tmp_path / "p"))

    assert (code, errors) == (0, [])
    assert [path.name for path in parsed] == ["environment.yml", "environment.yml"]


def test_a_poetry_1_project_gets_poetrys_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It writes a Poetry 1 project's imports into [tool.poetry.dependencies]: versions,
    git, URLs, extras, markers, python first, and the sources of --index-url lines."""
    environment = ENVIRONMENT.replace(
        "    - rich>=13\n",
        "    - rich>=13\n"
        "    - --extra-index-url https://download.pytorch.org/whl/cu121\n"
        "    - apache_beam[gcp]; sys_platform == 'linux'\n"
        "    - git+https://github.com/org/tool.git@v2#egg=tool\n"
        "    - pkg @ https://example.org/pkg-1.0-py3-none-any.whl\n",
    )
    root = project(tmp_path / "p", pyproject=POETRY1, environment=environment)

    code, out, err = run_import(capsys, root)

    assert (code, err) == (0, [])
    poetry = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["poetry"]
    assert poetry["dependencies"] == {
        "python": ">=3.11,<3.12",
        "click": "^8",
        "rich": ">=13",
        "apache_beam": {"version": "*", "extras": ["gcp"], "markers": 'sys_platform == "linux"'},
        "tool": {"git": "https://github.com/org/tool.git", "rev": "v2"},
        "pkg": {"url": "https://example.org/pkg-1.0-py3-none-any.whl"},
    }
    assert poetry["source"] == [
        {
            "name": "download-pytorch-org-cu121",
            "url": "https://download.pytorch.org/whl/cu121",
            "priority": "supplemental",
        }
    ]
    assert out[-1].startswith("lockstep: imported into environment.yml, pyproject.toml")
    assert len([line for line in out if line.startswith("moved: ")]) == 5


def test_a_windows_pip_package_gets_its_platform_marker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It marks a Windows export's pip entry pywin32 for Windows, so Linux skips it."""
    environment = ENVIRONMENT.replace("    - rich>=13\n", "    - pywin32==306\n")
    root = project(tmp_path / "p", environment=environment)

    code, out, _ = run_import(capsys, root)

    assert code == 0
    assert (
        'moved: pywin32==306 -> [project] dependencies: pywin32==306; sys_platform == "win32"'
        in out
    )
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    assert dependencies == ["packaging>=24", 'pywin32==306; sys_platform == "win32"']


def test_from_a_requirements_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It imports a requirements file named by --from (UTF-16, as PowerShell's `pip freeze >`
    writes it) and leaves an environment.yml already in shape untouched."""
    environment = (REPO_ROOT / "environment.yml").read_text()
    root = project(tmp_path / "p", environment=environment)
    (root / "requirements.txt").write_bytes("rich==13.7.1\r\nnumpy==2.1.0\r\n".encode("utf-16"))
    before = (root / "environment.yml").read_bytes()

    code, out, _ = run_import(capsys, root, "--from", str(root / "requirements.txt"))

    assert code == 0
    assert out == [
        "kept on the conda side: numpy (environment.yml lists it; the pip entry numpy==2.1.0"
        " is dropped)",
        'added: requires-python = ">=3.12,<3.13" (from environment.yml\'s python)',
        "moved: rich==13.7.1 -> [project] dependencies: rich==13.7.1",
        "lockstep: imported into pyproject.toml; run `make env-update` to lock them",
    ]
    assert (root / "environment.yml").read_bytes() == before
    code, out, _ = run_import(capsys, root, "--from", str(root / "requirements.txt"))
    assert out[-1].startswith("lockstep: nothing to import")


def test_from_another_environment_file_in_utf16(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It takes another environment.yml as the project's, written by PowerShell as UTF-16
    with CRLF: read, written back as UTF-8 (CRLF kept), and said so."""
    root = project(tmp_path / "p")
    exported = tmp_path / "exported.yml"
    exported.write_bytes(
        "name: old\r\ndependencies:\r\n  - python=3.11.5=h955ad1f_0\r\n  - vc=14.2=h21ff451_1\r\n"
        "prefix: C:\\envs\\old\r\n".encode("utf-16")
    )

    code, out, _ = run_import(capsys, root, "--from", str(exported))

    assert code == 0
    assert out[:4] == [
        "converted: environment.yml from UTF-16 to UTF-8 (as every tool reads it)",
        "removed: prefix: C:\\envs\\old (a path on the machine that exported it)",
        "rewritten: python=3.11.5=h955ad1f_0 -> python=3.11.5 (the build string is one system's)",
        "removed: vc=14.2=h21ff451_1 (a Windows-only package)",
    ]
    assert (root / "environment.yml").read_bytes() == (
        b"name: old\r\ndependencies:\r\n  - python=3.11.5\r\n"
        b"platforms:\r\n  - linux-64\r\n  - linux-aarch64\r\n"
    )


@pytest.mark.parametrize(
    ("encoded", "described"),
    [
        (lambda text: text.encode("utf-16"), "UTF-16"),
        (lambda text: text.encode("utf-8-sig"), "UTF-8 with a byte-order mark"),
    ],
)
def test_a_pyproject_in_utf16_or_with_a_bom_is_written_back_as_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoded, described: str
) -> None:
    """It converts a pyproject.toml that TOML readers would reject, and says so."""
    root = project(tmp_path / "p")
    (root / "pyproject.toml").write_bytes(encoded(PEP621))

    code, out, _ = run_import(capsys, root)

    assert code == 0
    assert f"converted: pyproject.toml from {described} to UTF-8 (as every tool reads it)" in out
    text = (root / "pyproject.toml").read_bytes().decode("utf-8")
    assert text.startswith("[project]\n")
    assert '"rich>=13"' in text


def test_crlf_files_stay_crlf_and_keep_every_other_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It keeps a CRLF pyproject.toml CRLF, every original line in it unchanged, and adds
    only its own lines; environment.yml likewise."""
    pyproject = PEP621.replace("\n", "\r\n")
    root = project(tmp_path / "p", pyproject=pyproject, environment=ENVIRONMENT)
    (root / "environment.yml").write_bytes(ENVIRONMENT.replace("\n", "\r\n").encode())

    code, _, _ = run_import(capsys, root)

    assert code == 0
    data = (root / "pyproject.toml").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    lines = data.decode().splitlines(keepends=True)
    added = list(lines)
    for line in pyproject.splitlines(keepends=True):
        added.remove(line)
    assert added == ['    "rich>=13",\r\n', 'requires-python = ">=3.11,<3.12"\r\n']
    environment = (root / "environment.yml").read_bytes()
    assert environment.count(b"\n") == environment.count(b"\r\n")


def test_lockfiles_are_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It never touches the lockfiles (they go stale; `make env-update` relocks)."""
    root = project(tmp_path / "p")
    for name in ("conda-linux-64.lock", "conda-osx-arm64.lock", "poetry.lock"):
        (root / name).write_text(f"{name}\n")

    code, _, _ = run_import(capsys, root)

    assert code == 0
    for name in ("conda-linux-64.lock", "conda-osx-arm64.lock", "poetry.lock"):
        assert (root / name).read_text() == f"{name}\n"


def test_staging_with_named_outputs_swaps_those_only(tmp_path: Path) -> None:
    """Staging(outputs=...) swaps the named files in and removes no lockfile."""
    root = project(tmp_path / "p")
    (root / "conda-osx-64.lock").write_text("kept\n")
    (root / "poetry.lock").write_text("old\n")
    with Staging(ProjectFiles(root), outputs=("environment.yml",)) as staging:
        (staging.root / "environment.yml").write_text("new\n")
        (staging.root / "poetry.lock").write_text("not an output\n")
        (staging.root / "conda-osx-64.lock").unlink()
        assert staging.commit() == ["environment.yml"]
    assert (root / "environment.yml").read_text() == "new\n"
    assert (root / "poetry.lock").read_text() == "old\n"
    assert (root / "conda-osx-64.lock").read_text() == "kept\n"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda root: (root / "pyproject.toml").unlink(), "pyproject.toml: not found"),
        (lambda root: (root / "environment.yml").unlink(), "environment.yml: not found"),
        (
            lambda root: (root / "pyproject.toml").write_text('[project]\nname = "x"\n[x'),
            "pyproject.toml: not valid TOML",
        ),
        (
            lambda root: (root / "pyproject.toml").write_text("[tool.ruff]\n"),
            "has neither [project] nor [tool.poetry]",
        ),
        (
            lambda root: (root / "pyproject.toml").write_text(
                PEP621.replace("[project]\n", '[project]\nrequires-python = ">=3.12"\n')
            ),
            "environment.yml: python '3.11.*' (it allows 3.11.0) disagrees with requires-python",
        ),
        (
            lambda root: (root / "environment.yml").write_text(
                ENVIRONMENT.replace("- rich>=13", "- rich>=>13")
            ),
            "environment.yml: pip entry 'rich>=>13'",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, message: str
) -> None:
    """It exits 2 with one line naming the file (the project's, never the staging copy's)
    and the fix, and changes nothing."""
    root = project(tmp_path / "p")
    setup(root)
    before = tree_digest(root)

    code, out, err = run_import(capsys, root)

    assert (code, out) == (2, [])
    assert len(err) == 1
    assert err[0].startswith(f"lockstep: error: {root}/")
    assert message in err[0]
    assert ".lockstep-staging" not in err[0]
    assert tree_digest(root) == before


def test_a_refusal_prints_exactly_one_line_even_with_selectors(tmp_path: Path) -> None:
    """A real process refusing prints one stderr line: conda-lock's warnings about the
    lines platform selectors filter out are not shown."""
    environment = ENVIRONMENT.replace(
        "  - numpy\n", "  - numpy\n  - pywin32  # [win]\n  - nomkl  # [osx]\n"
    )
    root = project(tmp_path / "p", environment=environment)
    (root / "pyproject.toml").write_text(
        PEP621.replace("[project]\n", '[project]\nrequires-python = ">=3.12"\n')
    )

    result = run_lockstep(["import", "--project", str(root)])

    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "disagrees with requires-python" in result.stderr


def test_from_a_missing_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It refuses a --from file that does not exist, saying what --from takes."""
    root = project(tmp_path / "p")
    code, _, err = run_import(capsys, root, "--from", str(tmp_path / "nope.txt"))
    assert code == 2
    assert err == [
        f"lockstep: error: {tmp_path / 'nope.txt'}: not found; --from names an environment.yml,"
        " a conda-lock.yml or a requirements file"
    ]


def test_the_template_itself_has_nothing_to_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It finds the template's own environment.yml and pyproject.toml already in shape."""
    root = tmp_path / "template"
    root.mkdir()
    for name in ("environment.yml", "pyproject.toml", "README.md"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    before = tree_digest(root)

    code, out, _ = run_import(capsys, root)

    assert (code, out) == (
        0,
        ["lockstep: nothing to import; environment.yml and pyproject.toml are in shape"],
    )
    assert tree_digest(root) == before


def test_a_problem_in_the_from_file_names_that_file(tmp_path: Path) -> None:
    """A python that disagrees with requires-python, found in --from FILE, is reported
    against FILE (the one the user wrote), not the project's environment.yml (refused with
    --keep-requires-python; without it FILE's python defines requires-python)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("environment.yml", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, project / name)
    source = tmp_path / "elsewhere" / "environment.yml"
    source.parent.mkdir()
    source.write_text("name: other\ndependencies:\n  - python=3.10\n  - numpy\n")
    before = tree_digest(project)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lockstep",
            "import",
            "--project",
            str(project),
            "--from",
            str(source),
            "--keep-requires-python",
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"lockstep: error: {source}: python '3.10")
    assert str(project / "environment.yml") not in line
    assert tree_digest(project) == before


@pytest.mark.parametrize(
    "source",
    [
        *sorted((REPO_ROOT / "tests/data/realworld/inputs/pyproject").glob("*.toml")),
        REPO_ROOT / "pyproject.toml",
    ],
    ids=lambda path: path.stem,
)
def test_a_pyproject_with_nothing_to_add_skips_tomlkit_with_the_same_result(
    source: Path,
) -> None:
    """With nothing to add, the answer given without tomlkit (from tomllib's reading) is
    the one tomlkit's parse, edits and dump give: for every real pyproject.toml."""
    original = source.read_text(encoding="utf-8")
    # The file as it is, and without its python constraint (then one is added).
    document = tomlkit.parse(original)
    document.get("project", {}).pop("requires-python", None)
    document.get("tool", {}).get("poetry", {}).get("dependencies", {}).pop("python", None)
    for text in (original, tomlkit.dumps(document)):
        outcomes: list[tuple[str, object]] = []
        for data in (None, tomllib.loads(text)):
            try:
                result = write_pyproject(
                    text, path=source, dependencies=[], indexes=[], python_spec="3.12.*",
                    data=data,
                )  # fmt: skip
            except InputError as error:
                outcomes.append(("refused", str(error)))
            else:
                outcomes.append((result.text, result.lines))
        assert outcomes[1] == outcomes[0]
