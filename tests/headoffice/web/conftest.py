"""The pages' fixtures (tests/support/ho_web.py)."""

from tests.support.ho_web import ho_web, ho_web_pg  # noqa: F401 - fixtures
