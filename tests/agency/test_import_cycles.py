"""`make test` runs lint-imports; this pins that its contracts include the no-cycle rule."""

import tomllib
from pathlib import Path


def test_the_import_contracts_forbid_cycles_between_product_modules():
    config = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    acyclic = [c for c in contracts if c["type"] == "acyclic_siblings"]
    assert acyclic and set(acyclic[0]["ancestors"]) == {
        "agency",
        "creators",
        "billing",
        "campaigns",
    }
