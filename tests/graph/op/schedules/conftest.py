"""Fixtures for the default-schedule tests."""
import pytest
from schedule_check import run_and_compare


@pytest.fixture
def check():
    return run_and_compare
