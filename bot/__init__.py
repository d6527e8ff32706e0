"""physio-career: career answers for UK physiotherapy support workers."""

__version__ = "0.1.0"
