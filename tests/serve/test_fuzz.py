"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis + hypothesis).

Schemathesis generates requests that fit the schema and requests that break it, for every
operation; the server must never answer 5xx, and its answers must match the schema.
"""

from __future__ import annotations

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance

from numkeras import __version__
from numkeras.serve.limits import BODY_TIMEOUT_S, MAX_BODY_BYTES
from numkeras.serve.openapi import document

from .support import png_bytes

EXAMPLES = 60
#: Requests sent, by operation, printed at the end of the module.
SENT: dict[str, int] = {}

schema = schemathesis.openapi.from_dict(document(__version__, MAX_BODY_BYTES, BODY_TIMEOUT_S))


@pytest.fixture(scope="module", autouse=True)
def _report_case_count():
    yield
    total = sum(SENT.values())
    detail = ", ".join(f"{name}: {count}" for name, count in sorted(SENT.items()))
    print(f"\nfuzz: {total} generated requests ({detail}), no 5xx answer")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_no_5xx_and_answers_match_the_schema(case, app) -> None:
    SENT[case.operation.label] = SENT.get(case.operation.label, 0) + 1
    response = case.call(app=app)
    assert response.status_code < 500, response.text
    # A schema cannot say "a picture of a digit" or "not blank", so a schema-valid body (random
    # bytes as image/png, an empty grid to preprocess) may rightly get 422: that one check is
    # left out; every other check of the response against the document runs.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


@pytest.fixture(scope="module")
def client_for_fuzz(app):
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        yield client


def _picture(kind: str) -> bytes:
    picture = np.full((40, 40), 255, np.uint8)
    picture[8:32, 18:23] = 0
    return png_bytes(picture, kind)


PICTURES = {"image/png": _picture("PNG"), "image/jpeg": _picture("JPEG")}


@given(
    kind=st.sampled_from(sorted(PICTURES)),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(1, 10_000),
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_damaged_images_never_get_a_5xx(client_for_fuzz, kind: str, edits, cut: int) -> None:
    """Real PNG and JPEG files with bytes overwritten and their ends cut off."""
    SENT["damaged image uploads"] = SENT.get("damaged image uploads", 0) + 1
    data = bytearray(PICTURES[kind])
    for position, value in edits:
        data[position % len(data)] = value
    response = client_for_fuzz.post(
        "/api/predict", content=bytes(data[:cut]), headers={"Content-Type": kind}
    )
    assert response.status_code in (200, 422), response.text
    assert response.json()
