"""`lockstep import`, pip entries: every kind read, and written in both pyproject styles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomlkit

from lockstep.importing.pyproject_writer import pep508, poetry_value, write_pyproject
from lockstep.importing.requirements import (
    Dependency,
    Index,
    parse_lines,
    read_requirements_file,
)
from lockstep.shared.errors import InputError
from lockstep.shared.toml_reader import tomllib

PEP621 = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
POETRY1 = (
    '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n'
    '[tool.poetry.dependencies]\npython = "^3.11"\n'
)


def parse(*lines: str, root: Path = Path("/project")) -> list[Dependency]:
    return parse_lines(list(lines), where=root / "environment.yml", project_root=root).dependencies


def only(*lines: str, root: Path = Path("/project")) -> Dependency:
    (dependency,) = parse(*lines, root=root)
    return dependency


def written(dependency: Dependency, text: str = PEP621) -> dict[str, Any]:
    result = write_pyproject(
        text,
        path=Path("pyproject.toml"),
        dependencies=[dependency],
        indexes=[],
        python_spec="3.11",
    )
    data: dict[str, Any] = tomllib.loads(result.text)
    return data


@pytest.mark.parametrize(
    ("line", "pep508_text", "poetry"),
    [
        ("requests", "requests", "*"),
        ("requests==2.31.0", "requests==2.31.0", "==2.31.0"),
        ("jupyter-server ==2.3.0", "jupyter-server==2.3.0", "==2.3.0"),
        ("pandas>=1.5,<3", "pandas<3,>=1.5", "<3,>=1.5"),
        ("apache_beam[gcp]", "apache_beam[gcp]", {"version": "*", "extras": ["gcp"]}),
        (
            'numpy>=1.2; python_version < "3.12"',
            'numpy>=1.2; python_version < "3.12"',
            {"version": ">=1.2", "markers": 'python_version < "3.12"'},
        ),
        (
            "print-on-steroids[exceptions,more]~=1.0 ; sys_platform == 'linux'",
            'print-on-steroids[exceptions,more]~=1.0; sys_platform == "linux"',
            {
                "version": "~=1.0",
                "extras": ["exceptions", "more"],
                "markers": 'sys_platform == "linux"',
            },
        ),
    ],
)
def test_index_requirements_keep_name_extras_markers_and_versions(
    line: str, pep508_text: str, poetry: object
) -> None:
    """It carries a requirement's name, extras, markers and version constraint over exactly."""
    dependency = only(line)
    assert pep508(dependency) == pep508_text
    value = poetry_value(dependency)
    assert (value if isinstance(value, str) else value.unwrap()) == poetry


@pytest.mark.parametrize(
    ("line", "name", "pep508_text", "poetry"),
    [
        (
            "git+https://github.com/FusRoman/tom_registration.git@tom_registration"
            "#egg=tom_registration",
            "tom_registration",
            "tom_registration @ git+https://github.com/FusRoman/tom_registration.git"
            "@tom_registration",
            {"git": "https://github.com/FusRoman/tom_registration.git", "rev": "tom_registration"},
        ),
        (
            "foo[cli] @ git+https://github.com/x/foo.git@v1.2#subdirectory=python",
            "foo",
            "foo[cli] @ git+https://github.com/x/foo.git@v1.2#subdirectory=python",
            {
                "git": "https://github.com/x/foo.git",
                "rev": "v1.2",
                "subdirectory": "python",
                "extras": ["cli"],
            },
        ),
        (
            "git+ssh://git@github.com/org/repo.git@0123abc#egg=repo",
            "repo",
            "repo @ git+ssh://git@github.com/org/repo.git@0123abc",
            {"git": "ssh://git@github.com/org/repo.git", "rev": "0123abc"},
        ),
        (
            "bar @ https://example.org/bar-1.0-py3-none-any.whl",
            "bar",
            "bar @ https://example.org/bar-1.0-py3-none-any.whl",
            {"url": "https://example.org/bar-1.0-py3-none-any.whl"},
        ),
        (
            "https://example.org/dist/baz-2.0.tar.gz",
            "baz",
            "baz @ https://example.org/dist/baz-2.0.tar.gz",
            {"url": "https://example.org/dist/baz-2.0.tar.gz"},
        ),
    ],
)
def test_direct_references_become_git_and_url_dependencies(
    line: str, name: str, pep508_text: str, poetry: object
) -> None:
    """It turns git and URL requirements into PEP 508 direct references and Poetry's tables,
    naming each from `name @`, `#egg=` or the archive's file name."""
    dependency = only(line)
    assert dependency.name == name
    assert pep508(dependency) == pep508_text
    value = poetry_value(dependency)
    assert not isinstance(value, str)
    assert value.unwrap() == poetry


def test_an_editable_git_checkout_becomes_a_plain_git_dependency(tmp_path: Path) -> None:
    """It imports `-e git+...` from git, and says the editable checkout is not carried over."""
    dependency = only("-e git+https://github.com/kwikteam/phy.git@dev#egg=phy")
    assert (dependency.git, dependency.rev, dependency.editable) == (
        "https://github.com/kwikteam/phy.git",
        "dev",
        True,
    )
    result = write_pyproject(
        PEP621, path=tmp_path, dependencies=[dependency], indexes=[], python_spec="3.11"
    )
    assert result.lines == (
        "moved: -e git+https://github.com/kwikteam/phy.git@dev#egg=phy -> [project] dependencies:"
        " phy @ git+https://github.com/kwikteam/phy.git@dev"
        " (an editable git checkout becomes a plain git dependency)",
    )


@pytest.mark.parametrize("line", ["-e .", "-e .[all]", ".", "./", "--editable=."])
def test_the_project_itself_is_dropped_with_a_note(line: str) -> None:
    """It drops `-e .` (the project itself, which Poetry installs) and says so."""
    parsed = parse_lines([line], where=Path("/p/environment.yml"), project_root=Path("/p"))
    assert parsed.dependencies == []
    assert parsed.notes == [f"dropped: {line} (the project itself: Poetry installs it)"]


def test_an_editable_path_becomes_a_develop_path_dependency(tmp_path: Path) -> None:
    """It turns `-e PATH` into a path dependency with develop = true, relative to the
    project, naming it from the directory's own pyproject.toml."""
    library = tmp_path / "libs" / "mylib"
    library.mkdir(parents=True)
    (library / "pyproject.toml").write_text('[project]\nname = "my-lib"\nversion = "1"\n')
    project = tmp_path / "project"
    project.mkdir()
    (dependency,) = parse("-e ../libs/mylib[extra]", root=project)
    assert (dependency.name, dependency.path, dependency.editable, dependency.extras) == (
        "my-lib",
        "../libs/mylib",
        True,
        ("extra",),
    )
    poetry = written(dependency, POETRY1)["tool"]["poetry"]["dependencies"]
    assert poetry["my-lib"] == {"path": "../libs/mylib", "develop": True, "extras": ["extra"]}
    # PEP 621 has no relative paths: the name goes to [project], the path to Poetry's table.
    pep621 = written(dependency)
    assert pep621["project"]["dependencies"] == ["my-lib[extra]"]
    assert pep621["tool"]["poetry"]["dependencies"]["my-lib"] == {
        "path": "../libs/mylib",
        "develop": True,
        "extras": ["extra"],
    }


def test_a_path_is_named_from_setup_cfg_or_egg(tmp_path: Path) -> None:
    """It reads a local project's name from setup.cfg, or from `#egg=` when given."""
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "setup.cfg").write_text("[metadata]\nname = oldlib\n")
    assert only("./old", root=tmp_path).name == "oldlib"
    assert only("./elsewhere#egg=named", root=tmp_path).name == "named"


def test_a_path_without_a_readable_name_is_refused_in_one_line(tmp_path: Path) -> None:
    """It refuses a local path whose package name it cannot read, naming the file and the fix."""
    with pytest.raises(InputError, match=r"environment.yml: pip entry '../../external/mappm'.*"):
        parse("../../external/mappm", root=tmp_path)


def test_a_git_url_without_a_name_is_refused_with_the_fix() -> None:
    """It refuses a git URL that names no package rather than guess it from the URL."""
    with pytest.raises(InputError, match=r"names no package; write it as `NAME @ git\+https"):
        parse("git+https://github.com/aaroncbader/pystell_uw.git")


def test_other_version_control_systems_are_refused() -> None:
    """It refuses Mercurial, Subversion and Bazaar URLs: Poetry installs from git only."""
    with pytest.raises(InputError, match="Poetry installs from git repositories only"):
        parse("hg+https://hg.example.org/repo#egg=repo")


def test_requirement_files_are_read_relative_to_the_file_naming_them(tmp_path: Path) -> None:
    """It reads `-r FILE` relative to the file that names it, recursively, with pip's
    comments and line continuations, and refuses a file that includes itself."""
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(
        "# base\nrequests>=2 \\\n  ,<3  # inline comment\n-r extra.txt\n"
    )
    (tmp_path / "requirements" / "extra.txt").write_text("rich\n")
    assert [d.line for d in parse("-r requirements/base.txt", root=tmp_path)] == [
        "requests>=2   ,<3",
        "rich",
    ]
    (tmp_path / "loop.txt").write_text("-r loop.txt\n")
    with pytest.raises(InputError, match="includes itself through -r"):
        read_requirements_file(tmp_path / "loop.txt", project_root=tmp_path)
    with pytest.raises(InputError, match=r"missing.txt: not found"):
        parse("-r missing.txt", root=tmp_path)


def test_a_requirements_file_outside_the_project_says_so_and_how_to_bring_it_in(
    tmp_path: Path,
) -> None:
    """`-r ../requirements.txt`: the tools container sees the project alone, so "not found"
    would hide why; the line says it is outside and to copy it in."""
    project = tmp_path / "project"
    project.mkdir()

    with pytest.raises(InputError, match=r"requirements.txt: outside the project .*copy it into"):
        parse("-r ../requirements.txt", root=project)


def test_a_utf16_requirements_file_is_read(tmp_path: Path) -> None:
    """It reads a requirements file that PowerShell's `pip freeze >` wrote as UTF-16."""
    path = tmp_path / "requirements.txt"
    path.write_bytes("numpy==1.26.4\r\nrich==13.7.1\r\n".encode("utf-16"))
    parsed = read_requirements_file(path, project_root=tmp_path)
    assert [d.line for d in parsed.dependencies] == ["numpy==1.26.4", "rich==13.7.1"]


def test_indexes_become_poetry_sources(tmp_path: Path) -> None:
    """It turns --index-url into a primary and --extra-index-url into a supplemental
    [[tool.poetry.source]], skips PyPI itself, and names each after its URL."""
    parsed = parse_lines(
        [
            "--index-url https://download.pytorch.org/whl/cu118",
            "--extra-index-url=https://pypi.nvidia.com",
            "-i https://pypi.org/simple/",
            "torch==2.1.0",
        ],
        where=tmp_path / "environment.yml",
        project_root=tmp_path,
    )
    assert parsed.indexes == [
        Index("https://download.pytorch.org/whl/cu118", True, parsed.indexes[0].line),
        Index("https://pypi.nvidia.com", False, parsed.indexes[1].line),
        Index("https://pypi.org/simple/", True, parsed.indexes[2].line),
    ]
    result = write_pyproject(
        PEP621,
        path=tmp_path,
        dependencies=parsed.dependencies,
        indexes=parsed.indexes,
        python_spec="3.11",
    )
    sources = tomllib.loads(result.text)["tool"]["poetry"]["source"]
    assert sources == [
        {
            "name": "download-pytorch-org-cu118",
            "url": "https://download.pytorch.org/whl/cu118",
            "priority": "primary",
        },
        {"name": "pypi-nvidia-com", "url": "https://pypi.nvidia.com", "priority": "supplemental"},
    ]
    assert result.lines[-1] == (
        "kept: PyPI, Poetry's default index (not added for -i https://pypi.org/simple/)"
    )
    again = write_pyproject(
        result.text,
        path=tmp_path,
        dependencies=parsed.dependencies,
        indexes=parsed.indexes,
        python_spec="3.11",
    )
    assert again.text == result.text


def test_pip_options_without_a_poetry_equivalent_are_dropped_with_a_note() -> None:
    """It drops --find-links, --trusted-host, -c and per-requirement hashes, one note each."""
    parsed = parse_lines(
        [
            "-f https://data.pyg.org/whl/torch-2.0.0+cu118.html",
            "--trusted-host example.org",
            "-c constraints.txt",
            "six==1.16.0 --hash=sha256:1e61c374",
        ],
        where=Path("/p/requirements.txt"),
        project_root=Path("/p"),
    )
    assert [d.line for d in parsed.dependencies] == ["six==1.16.0"]
    assert parsed.notes == [
        "dropped: -f https://data.pyg.org/whl/torch-2.0.0+cu118.html"
        " (a pip option Poetry has no equivalent for)",
        "dropped: --trusted-host example.org (a pip option Poetry has no equivalent for)",
        "dropped: -c constraints.txt (a constraints file; put the versions in pyproject.toml"
        " if they matter)",
        "dropped: --hash and other per-requirement options in requirements.txt"
        " (poetry.lock records hashes itself)",
    ]


def test_an_unreadable_requirement_is_refused_naming_the_file() -> None:
    """It refuses an entry that is no requirement, in one line naming the file."""
    with pytest.raises(InputError, match=r"/p/environment.yml: pip entry 'numpy=>1.2'"):
        parse_lines(["numpy=>1.2"], where=Path("/p/environment.yml"), project_root=Path("/p"))


def test_an_entry_the_project_declares_is_kept_as_the_project_has_it(tmp_path: Path) -> None:
    """It keeps a dependency pyproject.toml already declares and says so; one it would write
    the same way is passed over silently (a second run)."""
    text = PEP621 + 'dependencies = ["requests>=2"]\n'
    result = write_pyproject(
        text,
        path=tmp_path,
        dependencies=[only("requests==2.31.0"), only("rich")],
        indexes=[],
        python_spec="3.11",
    )
    assert result.lines == (
        "kept: pyproject.toml's requests>=2 (not the pip entry requests==2.31.0)",
        "moved: rich -> [project] dependencies: rich",
    )
    again = write_pyproject(
        result.text, path=tmp_path, dependencies=[only("rich")], indexes=[], python_spec="3.11"
    )
    assert again.lines == ()
    assert again.text == result.text


def test_poetry1_entries_go_to_the_poetry_table_keeping_everything_else(tmp_path: Path) -> None:
    """It adds Poetry 1 entries to [tool.poetry.dependencies] and leaves the rest of the
    file byte for byte, comments included."""
    text = POETRY1.replace('python = "^3.11"\n', 'python = "^3.11"  # keep me\n') + (
        "\n# trailing comment\n[build-system]\nrequires = []\n"
    )
    result = write_pyproject(
        text, path=tmp_path, dependencies=[only("rich>=13")], indexes=[], python_spec="3.11"
    )
    assert result.text == text.replace("  # keep me\n", '  # keep me\nrich = ">=13"\n')
    # A Poetry 1 table without python gets it first, derived from environment.yml's.
    bare = text.replace('python = "^3.11"  # keep me\n', 'click = "*"\n')
    result = write_pyproject(bare, path=tmp_path, dependencies=[], indexes=[], python_spec="3.11")
    assert '[tool.poetry.dependencies]\npython = ">=3.11,<3.12"\nclick = "*"\n' in result.text


def test_a_long_one_line_array_is_written_one_entry_per_line(tmp_path: Path) -> None:
    """It writes [project] dependencies one per line once there are many of them."""
    text = PEP621 + 'dependencies = ["a"]\n'
    result = write_pyproject(
        text,
        path=tmp_path,
        dependencies=parse("b", "c", "d"),
        indexes=[],
        python_spec="3.11",
    )
    assert '    "d",\n]' in result.text
    assert tomlkit.parse(result.text)["project"]["dependencies"] == ["a", "b", "c", "d"]
