"""The HTTP API, in-process: right answers for every accepted form, a clear 4xx for the rest."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from numkeras.serve import ServedModel
from numkeras.serve.app import create_app
from numkeras.serve.limits import BODY_TIMEOUT_S, MAX_BODY_BYTES
from numkeras.serve.openapi import document
from numkeras.serve.preprocess import to_mnist

from .support import confident_digit, png_bytes


def pixels(image: np.ndarray) -> dict:
    return {"pixels": (image / 255).tolist()}


def test_health(client) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_model_describes_architecture_training_data_and_test_accuracy(
    client, served, digits
) -> None:
    info = client.get("/api/model").json()
    assert info["model"] == "mnist_mlp.numkeras"
    assert info["input_shape"] == [784]
    assert [layer["type"] for layer in info["layers"]] == [
        "Dense",
        "Activation",
        "Dropout",
        "Dense",
        "Activation",
    ]
    assert info["params"] == 784 * 256 + 256 + 256 * 10 + 10
    assert "Total params" in info["summary"]
    assert info["trained_on"] == digits.source
    assert info["card"]["epochs"] == 3
    expected = np.mean(served.predict(digits.x_test / 255).argmax(axis=1) == digits.y_test)
    assert info["test_accuracy"] == pytest.approx(expected)
    assert 0.9 < info["test_accuracy"] < 1
    assert "10,000" in info["test_set"]


def test_openapi_lists_every_route(client) -> None:
    schema = client.get("/openapi.json").json()
    expected = document(schema["info"]["version"], MAX_BODY_BYTES, BODY_TIMEOUT_S)
    assert schema == json.loads(json.dumps(expected))
    assert set(schema["paths"]) == {"/api/predict", "/api/model", "/healthz"}
    assert set(schema["paths"]["/api/predict"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "multipart/form-data",
        "image/png",
        "image/jpeg",
    }


def test_predict_json_gives_the_model_output(client, served, digits) -> None:
    for image in digits.x_test[:5]:
        answer = client.post("/api/predict", json=pixels(image))
        assert answer.status_code == 200
        result = answer.json()
        expected = served.predict(image[None] / 255)[0]
        np.testing.assert_allclose(result["probabilities"], expected, rtol=1e-5, atol=1e-7)
        assert result["predicted"] == int(expected.argmax())
        assert result["confidence"] == pytest.approx(float(expected.max()))
        np.testing.assert_allclose(result["input"], image / 255, atol=1e-4)


def test_predict_json_can_fit_an_off_centre_digit_first(client, served, digits) -> None:
    index = confident_digit(served, digits, 3)
    image = digits.x_test[index]
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    corner = np.zeros((28, 28), np.uint8)  # the same digit pushed into the top-left corner
    digit = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    corner[: digit.shape[0], : digit.shape[1]] = digit
    raw = client.post("/api/predict", json=pixels(corner)).json()
    fitted = client.post("/api/predict", json={**pixels(corner), "preprocess": True}).json()
    np.testing.assert_allclose(fitted["input"], to_mnist(image / 255), atol=1e-4)
    assert fitted["predicted"] == 3
    assert raw["predicted"] != 3 or raw["confidence"] < fitted["confidence"]


@pytest.mark.parametrize("how", ["multipart", "png body", "jpeg body"])
def test_predict_an_uploaded_image(client, served, digits, how: str) -> None:
    index = confident_digit(served, digits, 7)
    # A photo of a page: dark ink on light paper, larger than 28x28.
    page = 255 - np.kron(digits.x_test[index], np.ones((5, 5), np.uint8))
    if how == "multipart":
        answer = client.post("/api/predict", files={"file": ("seven.png", png_bytes(page))})
    else:
        kind = how.split()[0]
        answer = client.post(
            "/api/predict",
            content=png_bytes(page, kind.upper()),
            headers={"Content-Type": f"image/{kind}"},
        )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["predicted"] == 7
    assert np.abs(np.array(result["input"]) - digits.x_test[index] / 255).mean() < 0.02


DIGIT = np.zeros((28, 28)).tolist()
BAD_JSON = [
    ("{not json", 400, "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, 400, "not valid JSON"),
    (json.dumps([[0] * 28] * 28), 422, "must be an object"),
    (json.dumps({}), 422, "'pixels' is missing"),
    (json.dumps({"pixel": DIGIT}), 422, r"Unknown field\(s\) 'pixel'"),
    (json.dumps({"pixels": DIGIT[:27]}), 422, "28 rows of 28 numbers.*Received: a list of 27"),
    (json.dumps({"pixels": [[0] * 27] + DIGIT[1:]}), 422, r"Received: pixels\[0\] is a list of 27"),
    (json.dumps({"pixels": 0.5}), 422, "Received: 0.5"),
    (json.dumps({"pixels": [["0.5"] * 28] * 28}), 422, r"pixels\[0\]\[0\] is \"0.5\""),
    (json.dumps({"pixels": [[True] * 28] * 28}), 422, r"pixels\[0\]\[0\] is true"),
    (json.dumps({"pixels": [[None] * 28] * 28}), 422, r"pixels\[0\]\[0\] is null"),
    (
        json.dumps({"pixels": [[0] * 27 + [255]] + DIGIT[1:]}),
        422,
        r"divide 0-255 grey levels by 255.*pixels\[0\]\[27\] = 255",
    ),
    (json.dumps({"pixels": [[-0.1] * 28] * 28}), 422, r"\[0, 1\]"),
    ('{"pixels": [' + ",".join(["[" + ",".join(["NaN"] * 28) + "]"] * 28) + "]}", 422, "NaN"),
    (json.dumps({"pixels": [[10**400] * 28] * 28}), 422, r"\[0, 1\]"),
    (json.dumps({"pixels": DIGIT, "preprocess": "yes"}), 422, "preprocess must be true or false"),
    (json.dumps({"pixels": DIGIT, "preprocess": True}), 422, "Nothing is drawn"),
    (b"\xff\xfe\x00garbage", 400, "not valid JSON"),
]


@pytest.mark.parametrize("body, status, message", BAD_JSON)
def test_bad_json_gets_a_clear_4xx(client, body, status: int, message: str) -> None:
    answer = client.post("/api/predict", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status
    assert re.search(message, answer.json()["detail"]), answer.json()["detail"]


@pytest.mark.parametrize(
    "request_kwargs, status, message",
    [
        (
            {"content": b"hello", "headers": {"Content-Type": "text/plain"}},
            415,
            "content type 'text/plain'",
        ),
        ({"content": b"hello"}, 415, "content type 'none'"),
        (
            {"content": b"hello", "headers": {"Content-Type": "image/png"}},
            422,
            "Could not read the upload as a PNG or JPEG",
        ),
        (
            {
                "content": png_bytes(np.full((9, 9), 200, np.uint8)),
                "headers": {"Content-Type": "image/png"},
            },
            422,
            "one flat colour",
        ),
        ({"files": {"file": ("a.txt", b"just text")}}, 422, "Could not read the upload"),
        ({"files": {"image": ("a.png", b"x")}}, 422, "Unknown form field"),
        (
            {
                "content": (
                    b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nhello\r\n--b--\r\n'
                ),
                "headers": {"Content-Type": "multipart/form-data; boundary=b"},
            },
            422,
            "holds text, not a file",
        ),
        (
            {"content": b"no parts here", "headers": {"Content-Type": "multipart/form-data"}},
            400,
            "boundary",
        ),
        ({"files": {"file": ("a.png", b"x"), "other": ("b.png", b"y")}}, 400, "Too many files"),
    ],
)
def test_bad_uploads_get_a_clear_4xx(client, request_kwargs, status: int, message: str) -> None:
    answer = client.post("/api/predict", **request_kwargs)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]
    assert " at 0x" not in answer.json()["detail"]  # no Python object's repr


def test_a_16_bit_png_reads_as_its_8_bit_version(client, served, digits) -> None:
    index = confident_digit(served, digits, 4)
    page = 255 - np.kron(digits.x_test[index], np.ones((4, 4), np.uint8))
    eight = client.post(
        "/api/predict", content=png_bytes(page), headers={"Content-Type": "image/png"}
    ).json()
    sixteen = client.post(
        "/api/predict",
        content=png_bytes(page.astype(np.uint16) * 257),
        headers={"Content-Type": "image/png"},
    ).json()
    assert eight["predicted"] == sixteen["predicted"] == 4
    np.testing.assert_allclose(sixteen["input"], eight["input"], atol=1e-4)


def test_bodies_over_the_limit_get_413_declared_or_streamed(client) -> None:
    big = b"0" * (MAX_BODY_BYTES + 1)
    declared = client.post(
        "/api/predict", content=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413 and "1,000,000 bytes" in declared.json()["detail"]
    streamed = client.post(
        "/api/predict",
        content=iter([big[:600_000], big[600_000:]]),
        headers={"Content-Type": "image/png"},
    )
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    assert streamed.status_code == 413
    upload = client.post("/api/predict", files={"file": ("big.png", big)})
    assert upload.status_code == 413


def test_wrong_methods_and_paths_answer_json(client) -> None:
    answer = client.get("/api/predict")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["detail"] == "Method Not Allowed"
    missing = client.get("/nothing/here")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}


def test_an_unexpected_failure_is_a_json_500(model_file) -> None:
    """A model that overflows on some input (finite weights, infinite sums) fails inside the
    server: the client gets the JSON error shape, not a bare text 500, and the server goes on."""
    from starlette.testclient import TestClient

    served = ServedModel.load(model_file, measure=False)
    kernel = served.model.layers[0].weights[0]
    kernel.assign(np.full(kernel.shape, 3e38, np.float32))
    with (
        TestClient(
            create_app(served), base_url="http://localhost", raise_server_exceptions=False
        ) as client,
        np.errstate(all="ignore"),
    ):
        answer = client.post("/api/predict", json={"pixels": np.ones((28, 28)).tolist()})
        assert answer.status_code == 500
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.json() == {
            "detail": "The server failed to answer this request (an "
            "internal error, recorded in its log)."
        }
        assert client.get("/healthz").status_code == 200


def test_the_server_keeps_serving_after_bad_requests(client, digits) -> None:
    for body, _, _ in BAD_JSON:
        client.post("/api/predict", content=body, headers={"Content-Type": "application/json"})
    assert client.post("/api/predict", json=pixels(digits.x_test[0])).status_code == 200


def test_the_page_loads_nothing_from_elsewhere(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<canvas id="pad"' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/app.js" in assets and "/static/style.css" in assets
    for asset in assets:
        assert not re.match(r"(https?:)?//", asset), f"external asset {asset}"
        if asset.startswith("/static/"):
            served_asset = client.get(asset)
            assert served_asset.status_code == 200 and served_asset.content
    assert client.get("/static/../app.py").status_code == 404
