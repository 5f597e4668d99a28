"""Project files as Windows writes them: UTF-16 from PowerShell, BOMs, CRLF checkouts."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from lockstep.check.freshness import check_project
from lockstep.lock.pipeline import _write_pins
from lockstep.shared.conda_input_hash import conda_input_hashes
from lockstep.shared.environment import load_environment
from lockstep.shared.errors import InputError
from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from lockstep.shared.model import Pin
from lockstep.shared.platforms import PLATFORM_MARKERS
from lockstep.shared.project import ProjectFiles
from lockstep.shared.pyproject import file_digest, read_pyproject, render_generated_sections
from tests.lockstep.lock_scenario import REPO_ROOT, LockScenario
from tests.lockstep.test_freshness import fresh_project
from tests.support.in_process import run_lockstep

REALWORLD = REPO_ROOT / "tests" / "data" / "realworld" / "inputs"
# Both written by Windows PowerShell's `conda env export > environment.yml`.
UTF16_ENVIRONMENTS = sorted((REALWORLD / "env").glob("*-utf16*.yml"))
REAL_PYPROJECTS = sorted((REALWORLD / "pyproject").glob("*.toml"))
CRLF_LOCKFILE = REALWORLD / "lock" / "spec-01bbae-osx-arm64-crlf.lock"
UTF16_MESSAGE = "is UTF-16 (as Windows PowerShell writes); save it as UTF-8"

MINIMAL_PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\n'
MINIMAL_ENVIRONMENT = "dependencies:\n  - python=3.11\n"
PINS = [
    Pin("six", "1.16.0"),
    Pin("msgpack", "1.1.0", PLATFORM_MARKERS["linux-64"]),
    Pin("msgpack", "1.0.8", PLATFORM_MARKERS["linux-aarch64"]),
]
DIGESTS = {"conda-linux-64.lock": "sha256:" + "a" * 64}
GENERATED_HEADERS = (
    "[tool.poetry.group.conda]",
    "[tool.poetry.group.conda.dependencies]",
    "[tool.lockstep]",
)


def crlf(text: str) -> str:
    """The text as git with core.autocrlf=true checks it out on Windows."""
    return text.replace("\n", "\r\n")


def bare_lf_count(data: str) -> int:
    return data.count("\n") - data.count("\r\n")


def lines_outside_generated_tables(text: str) -> list[str]:
    """Each line with its line ending, minus the generated tables and trailing blank lines."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        if content in GENERATED_HEADERS:
            skipping = True
        elif skipping and not content:
            skipping = False
            continue
        if not skipping:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def project_with(root: Path, *, environment: bytes, pyproject: bytes) -> Path:
    root.mkdir()
    (root / "environment.yml").write_bytes(environment)
    (root / "pyproject.toml").write_bytes(pyproject)
    return root


def lockstep(*args: str, project: Path) -> subprocess.CompletedProcess[str]:
    return run_lockstep([*args, "--project", str(project)])


# --- environment.yml ---------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "lock"])
@pytest.mark.parametrize("source", UTF16_ENVIRONMENTS, ids=lambda path: path.name)
def test_utf16_environment_is_one_line_and_exit_2(
    tmp_path: Path, source: Path, command: str
) -> None:
    """It says environment.yml is UTF-16 and how to fix it, in one line, and exits 2."""
    project = project_with(
        tmp_path / "project",
        environment=source.read_bytes(),
        pyproject=MINIMAL_PYPROJECT.encode(),
    )

    result = lockstep(command, project=project)

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    # `lock` prints its progress first; the error is the last line.
    assert result.stderr.splitlines()[-1] == (
        f"lockstep: error: {project / 'environment.yml'}: {UTF16_MESSAGE}"
    )


def test_utf16_without_bom_is_named_too(tmp_path: Path) -> None:
    """It recognises UTF-16 that has no byte-order mark by its NUL bytes."""
    path = tmp_path / "environment.yml"
    path.write_bytes(MINIMAL_ENVIRONMENT.encode("utf-16-le"))

    with pytest.raises(InputError, match="is UTF-16"):
        load_environment(path, requires_python=None)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "utf-8-bom"])
def test_latin1_environment_names_the_line(tmp_path: Path, bom: bytes) -> None:
    """It says a Latin-1 environment.yml is not UTF-8, naming the byte and its line."""
    path = tmp_path / "environment.yml"
    path.write_bytes(bom + (MINIMAL_ENVIRONMENT + "name: café\n").encode("latin-1"))

    with pytest.raises(InputError) as raised:
        load_environment(path, requires_python=None)

    assert str(raised.value) == f"{path}: is not UTF-8 (byte 0xe9 on line 3); save it as UTF-8"


def test_utf8_bom_environment_works_as_conda_lock_reads_it(tmp_path: Path) -> None:
    """It accepts a UTF-8 environment.yml with a BOM, which conda-lock's parser accepts too."""
    plain = tmp_path / "plain" / "environment.yml"
    with_bom = tmp_path / "bom" / "environment.yml"
    for path in (plain, with_bom):
        path.parent.mkdir()
    shutil.copy(REALWORLD / "env" / "pc-python.yml", plain)
    with_bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())

    spec = load_environment(with_bom, requires_python=None)

    assert spec.python_spec == load_environment(plain, requires_python=None).python_spec
    assert conda_input_hashes(with_bom, spec.platforms) == conda_input_hashes(plain, spec.platforms)


# --- pyproject.toml ----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (MINIMAL_PYPROJECT.encode("utf-16"), UTF16_MESSAGE),
        (
            MINIMAL_PYPROJECT.replace("demo", "café").encode("latin-1"),
            "is not UTF-8 (byte 0xe9 on line 2); save it as UTF-8",
        ),
        (
            b"\xef\xbb\xbf" + MINIMAL_PYPROJECT.encode(),
            "starts with a UTF-8 byte-order mark, which TOML readers such as Poetry reject;"
            " save it as UTF-8 without one",
        ),
    ],
    ids=["utf-16", "latin-1", "utf-8-bom"],
)
def test_pyproject_not_utf8_is_one_line_and_exit_2(
    tmp_path: Path, content: bytes, message: str
) -> None:
    """It names pyproject.toml and the fix in one line, and `lockstep check` exits 2."""
    project = project_with(
        tmp_path / "project", environment=MINIMAL_ENVIRONMENT.encode(), pyproject=content
    )

    result = lockstep("check", project=project)

    assert result.returncode == 2, result.stderr
    assert result.stderr == f"lockstep: error: {project / 'pyproject.toml'}: {message}\n"


def test_crlf_pyproject_reads_like_lf(tmp_path: Path) -> None:
    """It reads a CRLF pyproject.toml to the same data as its LF original."""
    lf = tmp_path / "lf.toml"
    windows = tmp_path / "crlf.toml"
    lf.write_bytes((REALWORLD / "pyproject" / "rich.toml").read_bytes())
    windows.write_bytes(crlf(lf.read_text(encoding="utf-8")).encode())

    assert read_pyproject(windows) == read_pyproject(lf)


@pytest.mark.parametrize("source", REAL_PYPROJECTS, ids=lambda path: path.name)
def test_crlf_pyproject_stays_crlf(source: Path) -> None:
    """It keeps a CRLF file's lines byte for byte and writes its generated tables in CRLF."""
    original = crlf(source.read_bytes().decode("utf-8"))

    rendered = render_generated_sections(original, pins=PINS, lockfile_digests=DIGESTS)

    assert bare_lf_count(rendered) == 0
    assert lines_outside_generated_tables(rendered) == lines_outside_generated_tables(original)
    lf_rendered = render_generated_sections(
        source.read_bytes().decode("utf-8"), pins=PINS, lockfile_digests=DIGESTS
    )
    assert rendered == crlf(lf_rendered)
    assert "\r" not in lf_rendered


def test_write_pins_keeps_a_crlf_pyproject_crlf(tmp_path: Path) -> None:
    """`lockstep lock` writes the pins into a CRLF pyproject.toml without turning it into LF."""
    files = ProjectFiles(tmp_path)
    original = crlf((REALWORLD / "pyproject" / "this-template.toml").read_text(encoding="utf-8"))
    files.pyproject.write_bytes(original.encode())
    lockfile = files.conda_lock("osx-arm64")
    shutil.copy(CRLF_LOCKFILE, lockfile)

    _write_pins(files, PINS, lockfiles=[lockfile])

    written = files.pyproject.read_bytes().decode("utf-8")
    assert bare_lf_count(written) == 0
    assert lines_outside_generated_tables(written) == lines_outside_generated_tables(original)
    lf_lockfile = tmp_path / "lf.lock"
    lf_lockfile.write_bytes(CRLF_LOCKFILE.read_bytes().replace(b"\r\n", b"\n"))
    recorded = read_pyproject(files.pyproject)["tool"]["lockstep"]["lockfiles"]
    # The digest of the LF form (what conda-lock writes), sha256 of its bytes.
    lf_digest = "sha256:" + hashlib.sha256(lf_lockfile.read_bytes()).hexdigest()
    assert recorded == {"conda-osx-arm64.lock": lf_digest}


# --- lockfile digests --------------------------------------------------------


def test_crlf_lockfile_parses_and_digests_like_lf(tmp_path: Path) -> None:
    """It reads the real CRLF lockfile like its LF form, and digests both the same."""
    lf = tmp_path / "conda-osx-arm64.lock"
    lf.write_bytes(CRLF_LOCKFILE.read_bytes().replace(b"\r\n", b"\n"))

    windows = read_explicit_lockfile(CRLF_LOCKFILE)
    unix = read_explicit_lockfile(lf)

    assert windows.platform == "osx-arm64"
    assert windows.packages == unix.packages
    assert len(windows.packages) > 10
    assert not any("\r" in package.url for package in windows.packages)
    lf_digest = "sha256:" + hashlib.sha256(lf.read_bytes()).hexdigest()
    assert file_digest(CRLF_LOCKFILE) == file_digest(lf) == lf_digest


def test_utf16_spec_file_is_named_utf16() -> None:
    """It says a `conda list --explicit` file redirected by PowerShell is UTF-16."""
    path = REALWORLD / "lock" / "spec-1kastner-win-64-utf16.lock"

    with pytest.raises(InputError) as raised:
        read_explicit_lockfile(path)

    assert str(raised.value) == f"{path}: {UTF16_MESSAGE}"


def test_digest_of_an_lf_file_is_still_its_bytes_digest(tmp_path: Path) -> None:
    """Digests already recorded (of LF files) stay valid: an LF file's digest is of its bytes."""
    path = tmp_path / "conda-linux-64.lock"
    path.write_bytes(b"# platform: linux-64\n@EXPLICIT\nhttps://x.invalid/a-1-0.conda\n")

    assert file_digest(path) == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_crlf_checkout_of_a_fresh_project_is_fresh(tmp_path: Path) -> None:
    """`lockstep check` calls a fresh project fresh after a CRLF checkout of every file."""
    root = fresh_project(tmp_path)
    for path in root.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))

    assert check_project(root) == []


def test_gitattributes_keeps_generated_files_lf() -> None:
    """The repository checks lockfiles and lock inputs out with LF, even with autocrlf."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = ["conda-linux-64.lock", "poetry.lock", "environment.yml", "pyproject.toml"]

    result = subprocess.run(
        ["git", "check-attr", "text", "eol", "--", *names],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.splitlines() == [
        line for name in names for line in (f"{name}: text: set", f"{name}: eol: lf")
    ]


# --- end to end --------------------------------------------------------------


@pytest.mark.network
def test_lock_keeps_a_crlf_checkout_crlf_and_fresh(scenario: LockScenario) -> None:
    """After `lockstep lock` in a CRLF checkout, pyproject.toml is still CRLF and all is fresh."""
    assert scenario.lockstep("lock").returncode == 0
    project = scenario.project
    for path in project.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = (project / "pyproject.toml").read_bytes()

    check = scenario.lockstep("check")
    again = scenario.lockstep("lock")

    assert check.returncode == 0, check.stdout + check.stderr
    assert again.returncode == 0, again.stderr
    assert (project / "pyproject.toml").read_bytes() == before


def test_a_utf16_poetry_lock_is_stale_not_a_crash(tmp_path: Path) -> None:
    """A poetry.lock re-saved as UTF-16 is named stale with the fix, like any unreadable lock."""
    root = fresh_project(tmp_path / "project")
    lock = root / "poetry.lock"
    lock.write_bytes(lock.read_text().encode("utf-16"))

    assert [(item.path.name, item.reason) for item in check_project(root)] == [
        ("poetry.lock", "not valid UTF-8 TOML; locked again from pyproject.toml")
    ]
