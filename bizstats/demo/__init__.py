"""Demo data, kept apart from the production modules: the generator and the `demo` command.

`generate` writes realistic, reproducible `<table>.csv` files of the raw input contract;
`run_demo` turns them into a loaded, built warehouse and a report (or only writes them).
"""

from bizstats.demo.generator import DemoConfig, generate
from bizstats.demo.runner import run_demo

__all__ = ["DemoConfig", "generate", "run_demo"]
