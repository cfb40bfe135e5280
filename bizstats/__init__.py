"""bizstats: a dbt-centric business-analytics warehouse with a Python wrapper."""

__version__ = "0.1.0"
