"""The `lockstep` command line: parse arguments, call one function, map errors to exit codes.

Heavy modules are imported inside each command so that `verify` and `doctor`
keep working with the standard library alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lockstep import __version__
from lockstep.quick_start import DEBUG_VARIABLE, Parser, print_traceback_when_debugging
from lockstep.shared.errors import (
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_IO_ERROR,
    EXIT_OK,
    LockstepError,
)
from lockstep.shared.os_error_fix import with_fix
from lockstep.shared.signals import exit_interrupted, install_exit_handlers, interrupted_underneath


def _lock(args: argparse.Namespace) -> int:
    from lockstep.lock.pipeline import lock_project

    lock_project(project=args.project, upgrade=args.upgrade)
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from lockstep.check.freshness import check_project, report_staleness

    return report_staleness(check_project(args.project))


def _import(args: argparse.Namespace) -> int:
    from lockstep.importing.run import import_project

    result = import_project(
        project=args.project, source=args.source, keep_requires_python=args.keep_requires_python
    )
    for line in result.lines:
        print(line)
    print(result.summary)
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from lockstep.init.run import init_project

    result = init_project(
        project=args.project, name=args.name, keep_template_tests=args.keep_template_tests
    )
    for line in result.lines:
        print(line)
    return EXIT_OK


def _pins(args: argparse.Namespace) -> int:
    from lockstep.lock.pins import pins_for_lockfiles

    for pin in pins_for_lockfiles(args.lockfile):
        print(pin)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from lockstep.prefix.verify import report_problems, verify_prefix

    return report_problems(verify_prefix(args.prefix))


def _doctor(args: argparse.Namespace) -> int:
    from lockstep.prefix.doctor import print_doctor_table

    print_doctor_table(prefix=args.prefix, project=args.project)
    return EXIT_OK


def _sbom(args: argparse.Namespace) -> int:
    from lockstep.sbom.run import write_sbom

    write_sbom(project=args.project, platform=args.platform, output=args.output)
    return EXIT_OK


def exit_code_table() -> str:
    """The epilog of `lockstep --help`: every exit code and its meaning, one per line."""
    rows = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return f"exit codes:\n{rows}"


def _project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        default=Path.cwd(),
        help="project directory holding environment.yml and pyproject.toml (default: .)",
    )


if TYPE_CHECKING:
    from typing import TypeAlias

    Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


def _switch(parser: argparse.ArgumentParser, flag: str, help_text: str) -> None:
    """An on/off option: absent False, given True."""
    parser.add_argument(flag, action="store_true", help=help_text)


def _add_lock(commands: Commands) -> None:
    lock = commands.add_parser("lock", help="relock conda and Poetry together, all or nothing")
    _project_option(lock)
    _switch(lock, "--upgrade", "re-solve conda even when fresh; regenerate poetry.lock")
    lock.set_defaults(handler=_lock)


def _add_check(commands: Commands) -> None:
    check = commands.add_parser("check", help="offline: are the lockfiles fresh? (exit 1 if not)")
    _project_option(check)
    check.set_defaults(handler=_check)


def _add_import(commands: Commands) -> None:
    import_ = commands.add_parser(
        "import",
        help="bring an environment.yml (pip: section, conda env export) into the template's shape",
    )
    _project_option(import_)
    import_.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        metavar="FILE",
        help="an environment.yml to import instead of the project's (*.yml, *.yaml), or a"
        " requirements file to import as well as environment.yml's pip: section",
    )
    _switch(
        import_,
        "--keep-requires-python",
        "refuse a python that disagrees with requires-python, instead of rewriting it",
    )
    import_.set_defaults(handler=_import)


def _add_init(commands: Commands) -> None:
    init = commands.add_parser(
        "init", help="turn the template into your project NAME, all or nothing (once)"
    )
    init.add_argument("name", help="the project's name, e.g. my-project (package my_project)")
    _project_option(init)
    _switch(init, "--keep-template-tests", "keep the template's tests, benchmarks, settings")
    init.set_defaults(handler=_init)


def _add_pins(commands: Commands) -> None:
    pins = commands.add_parser("pins", help="print the pins derived from conda lockfiles")
    pins.add_argument(
        "--lockfile",
        type=Path,
        action="append",
        required=True,
        help="explicit conda lockfile; repeat for several platforms",
    )
    pins.set_defaults(handler=_pins)


def _add_verify(commands: Commands) -> None:
    verify = commands.add_parser(
        "verify", help="fail if pip replaced, removed or duplicated anything conda installed"
    )
    verify.add_argument("prefix", type=Path, help="conda environment prefix")
    verify.set_defaults(handler=_verify)


def _add_doctor(commands: Commands) -> None:
    doctor = commands.add_parser("doctor", help="table of every distribution in a prefix")
    doctor.add_argument("prefix", type=Path, help="conda environment prefix")
    _project_option(doctor)
    doctor.set_defaults(handler=_doctor)


def _add_sbom(commands: Commands) -> None:
    sbom = commands.add_parser(
        "sbom", help="CycloneDX 1.6 SBOM of the runtime environment, from the lockfiles"
    )
    _project_option(sbom)
    sbom.add_argument(
        "--platform",
        default="linux-64",
        help="conda platform or Docker architecture of the image (default: linux-64)",
    )
    sbom.add_argument(
        "--output", type=Path, default=None, help="file to write (default: standard output)"
    )
    sbom.set_defaults(handler=_sbom)


COMMANDS: dict[str, Callable[[Commands], None]] = {
    "lock": _add_lock,
    "check": _add_check,
    "import": _add_import,
    "init": _add_init,
    "pins": _add_pins,
    "verify": _add_verify,
    "doctor": _add_doctor,
    "sbom": _add_sbom,
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` that command's (the same for its arguments)."""
    parser = Parser(
        prog="lockstep",
        description="Keep conda-lock and Poetry lockfiles consistent; conda has the final say.",
        epilog=exit_code_table(),
    )
    parser.add_argument("--version", action="version", version=f"lockstep {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, add in COMMANDS.items():
        if only in (None, name):
            add(commands)
    return parser


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    # Building every command's parser costs `lockstep check` a tenth of its time on a
    # slow machine; a command's own arguments need only its own. Anything else (no
    # command, --help, --version, a misspelt command) gets the whole command line.
    first = argv[0] if argv else None
    return build_parser(first if first in COMMANDS else None).parse_args(argv)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _report_os_error(error: OSError) -> int:
    """The system refused a file operation: say which file and why, as the OS puts it."""
    print_traceback_when_debugging()
    reason = error.strerror or str(error)
    where = f"{error.filename}: " if error.filename else ""
    print(f"lockstep: error: {where}{with_fix(_one_line(reason), error)}", file=sys.stderr)
    return EXIT_IO_ERROR


def _report_internal_error(error: Exception) -> int:
    print_traceback_when_debugging()
    message = _one_line(str(error))
    what = f"{type(error).__name__}: {message}" if message else type(error).__name__
    print(
        f"lockstep: internal error: {what}"
        f" (please report this; run with {DEBUG_VARIABLE}=1 for the traceback)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else list(argv))
    handler: Callable[[argparse.Namespace], int] = args.handler
    install_exit_handlers()
    try:
        return handler(args)
    except LockstepError as error:
        print(f"lockstep: error: {error}", file=sys.stderr)
        return error.exit_code
    # Project files read as text are InputErrors already (text_files); what arrives
    # here is another file operation the system refused: a full disk, a write,
    # a directory where a file should be. Not a bug, so no "please report".
    except OSError as error:
        return _report_os_error(error)
    # Anything else is a bug; exit 1 would tell `check`'s callers "stale".
    except Exception as error:
        if interrupted_underneath(error):
            exit_interrupted(error)
        return _report_internal_error(error)
    except KeyboardInterrupt as interrupt:
        exit_interrupted(interrupt)
