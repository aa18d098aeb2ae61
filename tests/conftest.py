"""Shared fixtures: the tiny county written to disk, its network and a run of it."""

from __future__ import annotations

import pytest

import scenarios
from sim import build_network, simulate
from tests.builders import write_scenario


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory):
    return write_scenario(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_scenario(tiny_path):
    return scenarios.load(tiny_path)


@pytest.fixture(scope="session")
def tiny_network(tiny_scenario):
    return build_network(tiny_scenario)


@pytest.fixture(scope="session")
def tiny_result(tiny_scenario):
    return simulate(tiny_scenario, reps=40, seed=3)


@pytest.fixture(scope="session")
def default_scenario():
    return scenarios.load()
