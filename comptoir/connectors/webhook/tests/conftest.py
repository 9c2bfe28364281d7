import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    # Assertions read the English messages; the French catalogue must not change them.
    with translation.override("en"):
        yield


@pytest.fixture
def secret():
    return "s3cr3t-s3cr3t-s3cr3t-s3cr3t"
