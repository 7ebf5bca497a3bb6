"""``numkeras serve``: draw a digit in a web page and watch a trained model read it.

::

    numkeras hello            # trains and saves numkeras-out/mnist_mlp.numkeras
    numkeras serve            # serves it at http://127.0.0.1:8000/

The page draws with mouse, pen or touch, or takes a PNG or JPEG upload, and shows the digit
read, the ten probabilities, and the 28x28 image the model receives. Drawings are converted the
way MNIST's digits were made (:mod:`numkeras.serve.preprocess`), which is what lets a digit drawn
in a browser be read as well as a test digit. Everything the page loads comes from the server.

The JSON API (described in OpenAPI at ``/openapi.json``): ``POST /api/predict`` (a 28x28 array
as JSON, or a PNG/JPEG file) -> probabilities and the digit read; ``GET /api/model`` ->
architecture, training data and test accuracy (see :mod:`numkeras.serve.served_model` for where
each comes from); ``GET /healthz``.

Parts: ``preprocess`` (NumPy only), ``images`` (PNG/JPEG decoding, Pillow), ``inputs`` (request
bodies to images, with the 4xx answers), ``served_model``, ``app`` (Starlette), ``openapi``,
``limits`` (what one client may ask), ``guards`` (the middleware every request passes),
``protocol`` (HTTP connections: timeouts and the connection limit), ``responses`` (the JSON
error shape and the headers of every answer), ``command`` (the CLI), ``static/`` (the page).
The web parts need ``pip install 'numkeras[serve]'``; importing this package does not.
"""

from typing import Any

from .preprocess import BlankImageError, ink_from_grey, to_mnist
from .served_model import ServedModel, read_card, write_card

__all__ = [
    "BlankImageError",
    "ServedModel",
    "create_app",
    "ink_from_grey",
    "read_card",
    "to_mnist",
    "write_card",
]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'numkeras.serve' has no attribute {name!r}")
