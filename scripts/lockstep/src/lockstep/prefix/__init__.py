"""Inspect a conda prefix after pip installed into it. Standard library only.

These modules run with a conda environment's own python (the image build's
`python -m lockstep verify /opt/env`), where no lockstep dependency exists.
"""
