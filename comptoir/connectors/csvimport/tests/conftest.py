import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English; the French catalogue is tested by the i18n checks.
    with translation.override("en"):
        yield
