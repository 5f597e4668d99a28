"""normalize_name is PEP 503's normalisation: the expected values are packaging's."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from lockstep.shared.model import normalize_name

# Names as their projects spell them on PyPI (capitals, dots, underscores, runs of them).
REAL_NAMES = [
    "PyYAML",
    "Jinja2",
    "MarkupSafe",
    "SQLAlchemy",
    "zope.interface",
    "ruamel.yaml",
    "typing_extensions",
    "Flask-SQLAlchemy",
    "backports.zoneinfo",
    "Sphinx",
    "PyQt5",
    "scikit_learn",
    "python--dateutil",
    "A.__b-_c",
]


def test_normalize_name_is_packagings_canonical_name() -> None:
    assert [normalize_name(name) for name in REAL_NAMES] == [
        canonicalize_name(name) for name in REAL_NAMES
    ]
