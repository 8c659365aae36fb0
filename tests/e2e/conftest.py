"""Fixtures for the black-box tests: the real Immich clients (Node.js) against `albumen serve`."""

from __future__ import annotations

import os

import pytest

from tests.e2e.harness import Node, find_node


@pytest.fixture(scope="session")
def node() -> Node:
    found = find_node()
    if isinstance(found, str):
        if os.environ.get("CI"):
            # In CI scripts/test.sh installs the clients first; a missing one is a broken install, not a skip.
            pytest.fail(found)
        pytest.skip(found)
    return found
