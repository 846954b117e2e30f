# test/python/conftest.py - pytest setup: import path for `qopt`, test-data location.
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

# External test data lives beside the checkout (../shared/testdata); QOPT_TESTDATA overrides.
TESTDATA = pathlib.Path(os.environ.get("QOPT_TESTDATA", REPO.parent / "shared" / "testdata"))


@pytest.fixture(scope="session")
def testdata():
    if not TESTDATA.is_dir():
        pytest.fail(f"test data not found at {TESTDATA} (set QOPT_TESTDATA)")
    return TESTDATA
