"""Every bench starts as `make bench` starts it; the benches themselves run only there.

A bench is run as a script, so its own folder comes first on sys.path, where
bench/queue.py stands in for the standard library's queue: a bench that imports
anything needing it before stepping its folder off the path stops at once, and
nothing else runs the benches to notice.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"


def helpers() -> set[str]:
    """The modules the benches start or share, as the Makefile lists them."""
    listed = re.search(r"^BENCH_HELPERS = (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert listed, "the Makefile names the bench helpers"
    return {name.removeprefix("bench/") for name in listed.group(1).split()}


BENCHES = sorted(path.name for path in BENCH.glob("*.py") if path.name not in helpers())


def test_the_helpers_are_modules_of_the_bench_folder():
    assert helpers() <= {path.name for path in BENCH.glob("*.py")}
    assert {"checkin.py", "queue.py", "photos.py"} <= set(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_a_bench_gets_past_its_imports_when_run_as_a_script(name, tmp_path):
    # Everything a script does before its main part: imports, settings, its temp folder.
    start = (
        "import runpy, sys; sys.path.insert(0, sys.argv[1]); "
        "runpy.run_path(sys.argv[2], run_name='imported_by_a_test')"
    )
    done = subprocess.run(  # noqa: S603 (this repository's own files)
        [sys.executable, "-c", start, str(BENCH), str(BENCH / name)],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp_path)}, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
