"""`lockstep import`: bring an existing conda (+ pip) project into the template's shape.

One concern per module: `requirements` reads pip requirement lines (a `pip:` section,
requirements files); `environment_file` rewrites environment.yml line by line;
`pyproject_writer` adds dependencies, package indexes and requires-python to
pyproject.toml with tomlkit; `derive_python` derives requires-python from conda's
python; `poetry_constraint` reads Poetry's version constraints as PEP 440 (lock and
check use it too); `run` ties the steps together in a staging copy swapped in all at
once, as `lockstep lock` does.
"""
