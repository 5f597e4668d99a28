"""envreport: the template's example package. Replace it with your own."""

__version__ = "0.1.0"
