"""Issue 16's "Why", case by case, run as a user runs lockstep: the installed `lockstep`
command in a real process, on a copy of the template's own pyproject.toml and
environment.yml (or the lock tests' demo project), with real signals and a real full disk.

Nothing here calls lockstep in this process. The only stand-ins are at process
boundaries, as everywhere in the suite: conda-lock's solver (conda channels are
unreachable here) and, where a step must hang, a Poetry that sleeps. Each refusal is
checked the same way: the exit code of the decided table (written down here, not taken
from lockstep's errors.py), one `lockstep: error:` line that names the file and the fix,
no traceback, no `.lockstep-staging/`, and every file of the project byte-identical.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import lockstep as lockstep_package
from tests.lockstep.lock_scenario import LockScenario
from tests.support.http_server import serving
from tests.support.tmpfs import mounted_tmpfs
from tests.support.user_runs import (
    LOCKSTEP,
    REPO_ROOT,
    assert_refused,
    digest,
    lockstep,
    template_project,
)

OK, STALE, BAD_INPUT, LOCK_FAILED, IO_ERROR = 0, 1, 2, 3, 74
BY_SIGNAL = {signal.SIGHUP: 129, signal.SIGINT: 130, signal.SIGTERM: 143}
MARKER = "LOCKSTEP_ISSUE16_RUN"

pytestmark = pytest.mark.skipif(not LOCKSTEP.exists(), reason=f"no installed {LOCKSTEP}")


# --- pyproject.toml, environment.yml, settings: bad input exits 2, never 70 ----------------

# The template's pyproject.toml with one key of another type than lockstep relies on: the
# line that replaces the key's tables, and what the one error line says of it.
NOT_A_TABLE = {
    "project": ('project = "x"\n', "project is a string"),
    "tool": ('tool = "x"\n', "tool is a string"),
    "tool.lockstep.lockfiles": (
        '[tool.lockstep]\nlockfiles = "conda-linux-64.lock"\n',
        "tool.lockstep.lockfiles is a string",
    ),
}


def hostile_pyproject(project: Path, key: str) -> None:
    """Drop the tables under `key` (`[key]`, `[key.x]`, `[[key.x]]`), then add its line:
    at the top for a top-level key, as a table of its own otherwise."""
    path = project / "pyproject.toml"
    kept, dropping = [], False
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("["):
            header = line.strip().strip("[]")
            dropping = header == key or header.startswith(f"{key}.")
        if not dropping:
            kept.append(line)
    line = NOT_A_TABLE[key][0]
    text = "".join(kept)
    path.write_text(line + text if "." not in key else text + "\n" + line)


@pytest.mark.parametrize("command", ["check", "lock", "import"])
@pytest.mark.parametrize("key", list(NOT_A_TABLE))
def test_a_pyproject_key_that_is_not_a_table_is_bad_input(
    tmp_path: Path, key: str, command: str
) -> None:
    project = template_project(tmp_path / "project")
    hostile_pyproject(project, key)
    before = digest(project)

    result = lockstep(command, "--project", str(project))

    line = assert_refused(result, BAD_INPUT, project, before, "pyproject.toml", NOT_A_TABLE[key][1])
    assert "section" in line  # the fix: write it as a [...] section


# [project]'s requirement arrays of another shape: the text that replaces the template's
# dependencies array, and what the one error line says of it.
NOT_STRINGS = {
    "a string": ('dependencies = "msgpack"\n', "project.dependencies is a string", '["msgpack"]'),
    "numbers": ("dependencies = [1, 2]\n", "an array of other things than strings", ""),
    "an extra, a string": (
        'dependencies = []\n[project.optional-dependencies]\nfast = "orjson"\n',
        "project.optional-dependencies.fast is a string",
        '["orjson"]',
    ),
    "an extra with a space in its name, a string": (
        'dependencies = []\n[project.optional-dependencies]\n"my extra" = "orjson"\n',
        'project.optional-dependencies."my extra" is a string',
        '"my extra" = ["orjson"]',  # a TOML key as written, quoted
    ),
}


@pytest.mark.parametrize("command", ["check", "lock", "import"])
@pytest.mark.parametrize("case", list(NOT_STRINGS))
def test_project_requirements_that_are_not_strings_are_bad_input(
    tmp_path: Path, case: str, command: str
) -> None:
    """Poetry would refuse them after the solve (exit 3), and `check` called them stale."""
    project = template_project(tmp_path / "project")
    path = project / "pyproject.toml"
    text = path.read_text()
    start = text.index("dependencies = [\n")
    end = text.index("]\n", start) + 2
    replacement, needle, example = NOT_STRINGS[case]
    path.write_text(text[:start] + replacement + text[end:])
    before = digest(project)

    result = lockstep(command, "--project", str(project))

    line = assert_refused(result, BAD_INPUT, project, before, "pyproject.toml", needle)
    assert "write it as an array of requirement strings" in line
    assert example in line


@pytest.mark.parametrize("entry", ["~nosuchuser/x-1.0-py3-none-any.whl", "-e ~nosuchuser/x"])
def test_a_pip_entry_at_an_unknown_users_home_is_bad_input(tmp_path: Path, entry: str) -> None:
    """Was: exit 70 (pathlib's RuntimeError)."""
    project = template_project(tmp_path / "project")
    (project / "environment.yml").write_text(
        f"channels: [conda-forge]\ndependencies:\n  - python=3.12\n  - pip:\n    - {entry}\n"
    )
    before = digest(project)

    result = subprocess.run(
        [str(LOCKSTEP), "import", "--project", "project"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert_refused(result, BAD_INPUT, project, before, "environment.yml", "home directory")


# `lock` validates with the readers `check` uses; `import` has its own.
@pytest.mark.parametrize("command", ["check", "import"])
def test_yaml_nested_20000_deep_is_bad_input(tmp_path: Path, command: str) -> None:
    project = template_project(tmp_path / "project")
    with (project / "environment.yml").open("a") as file:
        file.write("variables:\n  deep: " + "[" * 20_000 + "]" * 20_000 + "\n")
    before = digest(project)

    result = lockstep(command, "--project", str(project))

    assert_refused(result, BAD_INPUT, project, before, "environment.yml", "nested too deep")


@pytest.mark.parametrize("command", ["check", "import"])
def test_a_toml_array_nested_3000_deep_is_bad_input(tmp_path: Path, command: str) -> None:
    project = template_project(tmp_path / "project")
    path = project / "pyproject.toml"
    path.write_text("deep = " + "[" * 3000 + "]" * 3000 + "\n" + path.read_text())
    before = digest(project)

    result = lockstep(command, "--project", str(project))

    assert_refused(result, BAD_INPUT, project, before, "pyproject.toml", "nested too deep")


# --- conda-meta records and doctor's pyproject.toml ------------------------------------------


@pytest.fixture
def bare_prefix(tmp_path: Path) -> Path:
    """A real venv (no pip: its records are what is tested) with a conda-meta directory."""
    prefix = tmp_path / "prefix"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    (prefix / "conda-meta").mkdir()
    return prefix


@pytest.mark.parametrize("command", ["verify", "doctor"])
@pytest.mark.parametrize(
    "record", [[1, 2], {"name": "x", "version": "1", "build": "h0", "files": 5}]
)
def test_a_conda_meta_record_of_the_wrong_shape_is_bad_input(
    bare_prefix: Path, tmp_path: Path, record: object, command: str
) -> None:
    (bare_prefix / "conda-meta" / "x-1-h0.json").write_text(json.dumps(record))
    project = template_project(tmp_path / "project")
    before = digest(bare_prefix)
    args = ["doctor", "--project", str(project)] if command == "doctor" else ["verify"]

    result = lockstep(*args, str(bare_prefix))

    assert_refused(result, BAD_INPUT, bare_prefix, before, "x-1-h0.json", "reinstall")


DOCTOR_PYPROJECTS: dict[str, tuple[str | bytes, str]] = {
    "invalid TOML": ("[project\nname = ", "not valid TOML"),
    "UTF-16": ('[project]\nname = "x"\n'.encode("utf-16"), "not UTF-8"),
    "tool not a table": ("tool = 5\n", "tool is a number"),
    "pin without version": (
        "[tool.poetry.group.conda.dependencies]\n"
        "numpy = { markers = 'sys_platform == \"linux\"' }\n",
        "numpy has no version string",
    ),
}


@pytest.mark.parametrize("case", list(DOCTOR_PYPROJECTS))
def test_doctor_on_a_hostile_pyproject_is_bad_input(
    bare_prefix: Path, tmp_path: Path, case: str
) -> None:
    content, needle = DOCTOR_PYPROJECTS[case]
    project = tmp_path / "project"
    project.mkdir()
    path = project / "pyproject.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = digest(project)

    result = lockstep("doctor", "--project", str(project), str(bare_prefix))

    assert_refused(result, BAD_INPUT, project, before, "pyproject.toml", needle)


# --- lock: the demo project of the lock tests, its solver a stand-in, Poetry real ------------


def _channel(root: Path) -> Path:
    for subdir in ("linux-64", "linux-aarch64", "noarch"):
        (root / subdir).mkdir(parents=True)
    return root


def lock_env(scenario: LockScenario, **extra: str) -> dict[str, str]:
    """The scenario's environment (stand-in conda-lock first on PATH, real Poetry after)."""
    return scenario.environ(**extra)


def first_real_lock(scenario: LockScenario) -> LockScenario:
    result = lockstep("lock", "--project", str(scenario.project), env=lock_env(scenario))
    assert result.returncode == OK, result.stderr
    return scenario


@pytest.fixture(scope="module")
def demo_lock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockScenario]:
    """The demo project after one real `lockstep lock` (whose server outlives the tests:
    the lockfiles name its URLs)."""
    channel = _channel(tmp_path_factory.mktemp("issue16-channel"))
    with serving(channel) as running:
        root = tmp_path_factory.mktemp("issue16-first-lock")
        yield first_real_lock(LockScenario(root=root, server=running))


@pytest.fixture
def demo(demo_lock: LockScenario, tmp_path: Path) -> LockScenario:
    return demo_lock.copy_to(tmp_path / "demo")


def edit_environment(project: Path) -> None:
    """A change that makes `lock` solve again (and fetch metadata)."""
    path = project / "environment.yml"
    path.write_text(path.read_text().replace("  - six\n", "  - six>=1.16\n"))


def test_a_fetch_timeout_that_is_not_a_number_is_bad_input(demo: LockScenario) -> None:
    edit_environment(demo.project)
    before = digest(demo.project)

    result = lockstep(
        "lock", "--project", str(demo.project), env=lock_env(demo, LOCKSTEP_FETCH_TIMEOUT="abc")
    )

    assert_refused(result, BAD_INPUT, demo.project, before, "LOCKSTEP_FETCH_TIMEOUT=abc", "set it")


@pytest.mark.parametrize("name", ["conda-linux-64.lock", "poetry.lock"])
@pytest.mark.parametrize("command", ["check", "lock"])
def test_a_directory_where_a_lockfile_should_be(
    demo: LockScenario, name: str, command: str
) -> None:
    (demo.project / name).unlink()
    (demo.project / name).mkdir()
    (demo.project / name / "kept.txt").write_text("the user's\n")
    edit_environment(demo.project)
    before = digest(demo.project)

    result = lockstep(command, "--project", str(demo.project), env=lock_env(demo))

    # The same fault exits 2 where a reader of project text meets it and 74 where another
    # file operation does (both decided elsewhere in the suite); never 70, never 1.
    code = BAD_INPUT if result.returncode == BAD_INPUT else IO_ERROR
    line = assert_refused(result, code, demo.project, before, name, "directory")
    assert "move it" in line, line  # the fix, after the system's reason


def damage(lockfile: Path, how: str) -> None:
    lines = lockfile.read_text().splitlines(keepends=True)
    if how == "truncated":
        lockfile.write_text("".join(lines)[: len("".join(lines[:5])) + 40])
    elif how == "conflict markers":
        other = lines[5].replace("3.11.10", "3.11.9")
        lockfile.write_text(
            "".join([*lines[:5], "<<<<<<< HEAD\n", lines[5], "=======\n", other, ">>>>>>> b\n"])
            + "".join(lines[6:])
        )
    else:  # an unparsable line
        lockfile.write_text("".join([*lines[:5], "this is not a package URL\n", *lines[5:]]))


@pytest.mark.parametrize("how", ["truncated", "conflict markers", "unparsable line"])
def test_a_damaged_reused_conda_lockfile_is_stale_then_solved_again(
    demo: LockScenario, how: str
) -> None:
    lockfile = demo.project / "conda-linux-64.lock"
    pristine = lockfile.read_bytes()
    damage(lockfile, how)
    before = digest(demo.project)

    check = lockstep("check", "--project", str(demo.project), env=lock_env(demo))
    assert check.returncode == STALE, check
    assert "conda-linux-64.lock" in check.stdout and "make env-update" in check.stdout, check
    assert digest(demo.project) == before

    locked = lockstep("lock", "--project", str(demo.project), env=lock_env(demo))
    assert locked.returncode == OK, locked.stderr
    # Solved again: the same packages as before it was damaged, and fresh.
    assert lockfile.read_bytes() == pristine
    assert lockstep("check", "--project", str(demo.project), env=lock_env(demo)).returncode == OK


def test_a_poetry_lock_with_conflict_markers_is_stale_then_locked_again(
    demo: LockScenario,
) -> None:
    path = demo.project / "poetry.lock"
    pristine = path.read_bytes()
    text = path.read_text()
    path.write_text(
        text.replace(
            'version = "1.0.8"\n',
            '<<<<<<< HEAD\nversion = "1.0.8"\n=======\nversion = "1.0.7"\n>>>>>>> b\n',
            1,
        )
    )

    check = lockstep("check", "--project", str(demo.project), env=lock_env(demo))
    assert check.returncode == STALE, check
    assert "poetry.lock" in check.stdout and "conflict" in check.stdout, check
    assert "make env-update" in check.stdout, check

    locked = lockstep("lock", "--project", str(demo.project), env=lock_env(demo))
    assert locked.returncode == OK, locked.stderr
    assert path.read_bytes() == pristine  # Poetry locked the same versions again
    assert lockstep("check", "--project", str(demo.project), env=lock_env(demo)).returncode == OK


def test_a_wrong_md5_in_a_reused_lockfile_is_refused_where_the_whole_file_is_read(
    demo: LockScenario, demo_lock: LockScenario, tmp_path: Path
) -> None:
    """A server that ignores Range sends whole packages: the md5 is compared, the package
    named, the fix given; after the fix (delete, relock) the lock is whole again."""
    lockfile = demo.project / "conda-linux-64.lock"
    pristine = lockfile.read_text()
    line = next(line for line in pristine.splitlines() if "/python-3.11.10" in line)
    lockfile.write_text(pristine.replace(line, line.split("#")[0] + "#" + "0" * 32))
    before = digest(demo.project)
    env = lock_env(demo, LOCKSTEP_CACHE_DIR=str(tmp_path / "empty-cache"))
    demo_lock.server.state.honours_ranges = False
    try:
        result = lockstep("lock", "--project", str(demo.project), env=env)
    finally:
        demo_lock.server.state.honours_ranges = True

    assert_refused(
        result,
        BAD_INPUT,
        demo.project,
        before,
        "conda-linux-64.lock",
        "python-3.11.10",
        "make env-update",
    )
    lockfile.unlink()
    assert lockstep("lock", "--project", str(demo.project), env=env).returncode == OK
    assert lockfile.read_text() == pristine


def test_a_symlinked_environment_yml_stays_a_symlink_through_import(tmp_path: Path) -> None:
    project = template_project(tmp_path / "project")
    shared = tmp_path / "shared" / "env.yml"
    shared.parent.mkdir()
    shared.write_text(
        "name: myenv\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.12\n"
        "  - numpy>=2.1\n  - pip\n  - pip:\n      - requests>=2\n"
    )
    (project / "environment.yml").unlink()
    (project / "environment.yml").symlink_to(shared)

    result = lockstep("import", "--project", str(project))

    assert result.returncode == OK, result.stderr
    assert (project / "environment.yml").is_symlink()
    assert (project / "environment.yml").readlink() == shared
    assert "requests" not in shared.read_text()  # the target was written
    assert "requests" in (project / "pyproject.toml").read_text()


def test_yaml_document_markers_survive_import(tmp_path: Path) -> None:
    project = template_project(tmp_path / "project")
    environment = project / "environment.yml"
    environment.write_text(
        "---\nname: myenv\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.12\n"
        "  - numpy>=2.1\n  - pip\n  - pip:\n      - requests>=2\n...\n"
    )

    result = lockstep("import", "--project", str(project))

    assert result.returncode == OK, result.stderr
    text = environment.read_text()
    assert text.startswith("---\n") and text.endswith("...\n"), text
    assert text.index("platforms:") < text.index("...\n"), text  # inside the document
    again = lockstep("import", "--project", str(project))
    assert again.returncode == OK and "nothing to import" in again.stdout, again


# --- a real full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KB tmpfs mounted for the test; skipped where this process may not mount."""
    with mounted_tmpfs(tmp_path / "disk", size="256k") as disk:
        yield disk


def fill_disk(disk: Path) -> None:
    """Write a filler file until the system says the disk is full."""
    descriptor = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def edited_copy_on(disk: Path, demo: LockScenario) -> Path:
    """The demo project copied onto the disk, environment.yml edited: `lock` must solve."""
    project = disk / "project"
    shutil.copytree(demo.project, project)
    edit_environment(project)
    return project


def test_a_full_disk_before_lock_leaves_nothing_behind(
    demo: LockScenario, small_disk: Path
) -> None:
    project = edited_copy_on(small_disk, demo)
    before = digest(project)
    fill_disk(small_disk)

    result = lockstep("lock", "--project", str(project), env=lock_env(demo))

    (small_disk / "filler").unlink()
    assert_refused(result, IO_ERROR, project, before, str(project), "No space left", "free")


def test_a_read_only_file_system_is_refused_in_one_line(
    demo: LockScenario, small_disk: Path
) -> None:
    project = edited_copy_on(small_disk, demo)
    before = digest(project)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)

    result = lockstep("lock", "--project", str(project), env=lock_env(demo))

    assert_refused(result, IO_ERROR, project, before, str(project), "Read-only", "read-write")


def test_a_disk_that_fills_while_poetry_writes_leaves_nothing_behind(
    demo: LockScenario, small_disk: Path
) -> None:
    """The disk fills once `poetry lock` has started, and Poetry has a whole new poetry.lock
    to write: the lock failed (3), in one line that says why."""
    project = small_disk / "project"
    shutil.copytree(demo.project, project)
    (project / "poetry.lock").unlink()
    before = digest(project)
    process = subprocess.Popen(
        [str(LOCKSTEP), "lock", "--project", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=lock_env(demo),
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith("[5/6] poetry lock ..."):
            fill_disk(small_disk)
            break
    rest = process.communicate(timeout=120)[1]
    result = subprocess.CompletedProcess(process.args, process.returncode, "", "".join(seen) + rest)

    (small_disk / "filler").unlink()
    assert_refused(result, LOCK_FAILED, project, before, "poetry lock", "No space left")


# --- signals to a running `lockstep` -------------------------------------------------------


def survivors(run: str, settle_seconds: float = 3.0) -> list[str]:
    """Processes whose environment carries this run's marker (every child of lockstep
    inherits it), once a killed one has had `settle_seconds` to vanish."""
    deadline = time.monotonic() + settle_seconds
    while True:
        found = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                if f"{MARKER}={run}".encode() in environ.read_bytes():
                    found.append(environ.parent.name)
            except OSError:  # gone meanwhile
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def signalled_run(
    args: list[str],
    env: dict[str, str],
    numbers: list[signal.Signals],
    *,
    when_line: str | None = None,
    after_seconds: float = 0.0,
    between_seconds: float = 0.005,
) -> subprocess.CompletedProcess[str]:
    """Start `lockstep ARGS` in a session of its own; once `when_line` starts a line of its
    stderr (or at once), wait `after_seconds`, then send each signal in turn."""
    process = subprocess.Popen(
        [str(LOCKSTEP), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    seen: list[str] = []
    try:
        if when_line is not None:
            assert process.stderr is not None
            for line in process.stderr:
                seen.append(line)
                if line.startswith(when_line):
                    break
        time.sleep(after_seconds)
        for number in numbers:
            process.send_signal(number)
            time.sleep(between_seconds)
        rest = process.communicate(timeout=60)[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, "", "".join(seen) + rest)


def stop_line(number: signal.Signals) -> str:
    what = "interrupted" if number == signal.SIGINT else f"terminated ({number.name})"
    return f"lockstep: {what}; no file was changed"


def assert_stopped_cleanly(
    result: subprocess.CompletedProcess[str],
    numbers: list[signal.Signals],
    project: Path,
    before: dict[str, str],
    run: str,
) -> None:
    """Stopped by one of the signals sent (a second one, held while the first one's cleanup
    ran, is the one reported when it differs): its code, its line, nothing left."""
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert any(
        result.returncode == BY_SIGNAL[number] and last == stop_line(number) for number in numbers
    ), (result.returncode, result.stderr)
    assert survivors(run) == []
    assert not (project / ".lockstep-staging").exists()
    assert digest(project) == before


@pytest.mark.parametrize(
    ("step", "numbers"),
    [
        ("solve", [signal.SIGTERM]),
        ("solve", [signal.SIGHUP]),
        ("solve", [signal.SIGINT]),
        # A second SIGTERM while the first one's cleanup runs (systemd, an impatient user).
        ("solve", [signal.SIGTERM, signal.SIGTERM]),
        ("poetry", [signal.SIGTERM]),
        ("poetry", [signal.SIGINT, signal.SIGTERM]),
    ],
)
def test_a_signal_while_a_tool_runs_stops_every_child(
    demo: LockScenario, step: str, numbers: list[signal.Signals]
) -> None:
    edit_environment(demo.project)
    if step == "solve":
        demo.set_behaviour("hang")
        when = "[2/6] solve conda"
    else:
        demo.hang_poetry()
        pyproject = demo.project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('"msgpack>=1.0"', '"msgpack>=1.0.0"'))
        when = "[5/6] poetry lock ..."
    before = digest(demo.project)
    run = secrets.token_hex(8)

    result = signalled_run(
        ["lock", "--project", str(demo.project)],
        lock_env(demo, **{MARKER: run}),
        numbers,
        when_line=when,
        after_seconds=0.3,
    )

    assert_stopped_cleanly(result, numbers, demo.project, before, run)


# Enough options that argparse takes a good part of a second over them: the signal lands
# while the arguments are parsed (before the fix, outside every handler: exit 1, "stale").
MANY_ARGUMENTS = 6000


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_while_the_arguments_are_parsed(
    demo: LockScenario, number: signal.Signals
) -> None:
    before = digest(demo.project)
    run = secrets.token_hex(8)
    args = ["check", *[f"--project={demo.project}"] * MANY_ARGUMENTS]

    result = signalled_run(args, lock_env(demo, **{MARKER: run}), [number], after_seconds=0.4)

    assert_stopped_cleanly(result, [number], demo.project, before, run)


# Where a signal meets Python rather than lockstep, so lockstep cannot answer it:
# - CPython's fatal error when Ctrl-C lands while `site` runs, before any lockstep code;
# - the console script's own `from lockstep.entry import run` (pip writes that line, with
#   no `try` around it): Python's traceback, and death by SIGINT;
# - a handler's exception raised inside a weakref callback of the import machinery,
#   which CPython prints ("Exception ignored in") and drops: the run goes on to its end.
PYTHON_STARTING = "Fatal Python error: init_import_site"
IN_A_CALLBACK = "Exception ignored in"
PACKAGE_FRAME = f'File "{Path(lockstep_package.__file__).parent}'


def python_answered(number: signal.Signals, result: subprocess.CompletedProcess[str]) -> bool:
    if PYTHON_STARTING in result.stderr:
        return number == signal.SIGINT and result.returncode == STALE
    if IN_A_CALLBACK in result.stderr:
        return result.returncode == OK and PACKAGE_FRAME not in result.stderr
    if "Traceback" in result.stderr:
        return result.returncode == -number and PACKAGE_FRAME not in result.stderr
    return False


@pytest.mark.parametrize("seed", range(3))
def test_a_signal_at_a_seeded_moment_of_a_short_run(demo: LockScenario, seed: int) -> None:
    """`lockstep check` (a run of a tenth of a second) signalled at seeded moments from its
    start to its end: the table's code in one line, the run's own result, or (before
    lockstep's first line of code) death by the signal; never a traceback from lockstep's
    code, never 1 or 70 from lockstep (what Python itself answers: python_answered)."""
    chooser = random.Random(seed)  # noqa: S311 - moments of a test, not secrets
    before = digest(demo.project)
    for _ in range(8):
        number = chooser.choice([signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
        moment = chooser.uniform(0.0, 0.15)
        run = secrets.token_hex(8)
        result = signalled_run(
            ["check", "--project", str(demo.project)],
            lock_env(demo, **{MARKER: run}),
            [number],
            after_seconds=moment,
        )
        outcome = (number.name, round(moment, 4), result.returncode, result.stderr)
        assert survivors(run, settle_seconds=1.0) == []
        if python_answered(number, result):
            continue
        if result.returncode in (OK, -number):
            assert "Traceback" not in result.stderr, outcome
        else:
            assert result.returncode == BY_SIGNAL[number], outcome
            assert result.stderr.splitlines() == [stop_line(number)], outcome
    assert digest(demo.project) == before


# A Poetry stand-in (process boundary) that takes its time to stop: on SIGTERM it spends
# TOOL_STOP_SECONDS finishing up, as a tool flushing its cache does.
TOOL_STOP_SECONDS = 1
SLOW_TO_STOP_POETRY = f"""#!/bin/sh
trap 'sleep {TOOL_STOP_SECONDS}; exit 143' TERM
echo 'Resolving dependencies...' >&2
sleep 60 &
wait
"""


@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_while_the_tool_is_being_stopped(
    demo: LockScenario, first: signal.Signals
) -> None:
    """The second signal arrives while lockstep waits for the tool it stopped: it still
    waits (the tool gone when lockstep exits), removes staging, and changes nothing."""
    poetry = demo.bin_dir / "poetry"
    poetry.write_text(SLOW_TO_STOP_POETRY)
    poetry.chmod(0o755)
    pyproject = demo.project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"msgpack>=1.0"', '"msgpack>=1.0.0"'))
    before = digest(demo.project)
    run = secrets.token_hex(8)

    result = signalled_run(
        ["lock", "--project", str(demo.project)],
        lock_env(demo, **{MARKER: run}),
        [first, signal.SIGTERM],
        when_line="[5/6] poetry lock ...",
        after_seconds=0.3,
        between_seconds=0.3,
    )

    # Nothing may be left the moment lockstep has exited, not even a tool still stopping.
    assert survivors(run, settle_seconds=0.2) == []
    assert result.returncode == BY_SIGNAL[signal.SIGTERM], result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == stop_line(signal.SIGTERM)
    assert not (demo.project / ".lockstep-staging").exists()
    assert digest(demo.project) == before


# --- the exit-code table: the decided one, in --help and in the README -----------------------

DECIDED_CODES = [0, 1, 2, 3, 70, 74, 75, 129, 130, 143]


def test_help_and_readme_carry_the_decided_exit_code_table() -> None:
    result = lockstep("--help")
    assert result.returncode == OK, result.stderr
    tail = result.stdout.split("exit codes:", 1)[1]
    from_help = {
        int(code): meaning.strip()
        for code, meaning in (line.split(None, 1) for line in tail.strip().splitlines())
    }
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## lockstep exit codes", 1)[1].split("\n## ", 1)[0]
    from_readme = {
        int(cells[0]): cells[1]
        for cells in (
            [cell.strip() for cell in row.strip().strip("|").split("|")]
            for row in section.splitlines()
            if row.startswith("| ") and row.split("|")[1].strip().isdigit()
        )
    }
    assert sorted(from_help) == DECIDED_CODES
    assert from_readme == from_help
    assert from_help[1].startswith("stale")
    assert "Ctrl-C" in from_help[130] and "SIGTERM" in from_help[143]


# The command answered (a failed metadata fetch: exit 3) while a download it started is
# still in flight, as package_info leaves one when another fails: Python joins that
# thread at exit. Here `main` is that failure, in a real process with real signals.
ANSWERED_WITH_A_DOWNLOAD_IN_FLIGHT = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
import lockstep.cli
from lockstep.entry import run

def main():
    pool = ThreadPoolExecutor(max_workers=1)
    pool.submit(time.sleep, 30)  # a download stalled until its socket timeout
    pool.shutdown(wait=False, cancel_futures=True)
    print("lockstep: error: a metadata fetch failed", file=sys.stderr, flush=True)
    return 3

lockstep.cli.main = main
# Said once the answer is in, so that the test signals the run after it, never before.
from lockstep.shared import signals
answer = signals.exit_on_signal_with
def answered(code):
    answer(code)
    print("answered", file=sys.stderr, flush=True)
signals.exit_on_signal_with = answered
sys.exit(run())
"""


@pytest.mark.parametrize("number", list(BY_SIGNAL))
def test_a_signal_after_the_answer_ends_the_run_at_once_with_it(number: signal.Signals) -> None:
    """Was: the signal ignored, and the run waited for the download (30 s here)."""
    process = subprocess.Popen(
        [sys.executable, "-c", ANSWERED_WITH_A_DOWNLOAD_IN_FLIGHT],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    assert process.stderr.readline() == "lockstep: error: a metadata fetch failed\n"
    assert process.stderr.readline() == "answered\n"  # the run now waits for its thread
    start = time.monotonic()
    process.send_signal(number)

    rest = process.stderr.read()
    code = process.wait(timeout=20)

    assert time.monotonic() - start < 5
    assert code == LOCK_FAILED  # the answer, not the signal's code
    assert rest == ""  # no traceback, no second line


def test_the_answer_does_not_wait_for_a_stalled_download() -> None:
    """Was: the run ended when the download did (30 s here: its socket timeout)."""
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", ANSWERED_WITH_A_DOWNLOAD_IN_FLIGHT],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert time.monotonic() - start < 10
    assert result.returncode == LOCK_FAILED
    assert result.stderr == "lockstep: error: a metadata fetch failed\nanswered\n"
