"""What one client may ask of ``numkeras serve``: the limits, in one place.

Kept free of the web libraries, so that ``numkeras --help`` can show them without the 'serve'
extra. :mod:`~numkeras.serve.protocol` enforces the connection limits, :mod:`~numkeras.serve.guards`
the request limits, :mod:`~numkeras.serve.images` the picture size (``MAX_SIDE``).
"""

#: Seconds a client has to send a whole request header.
HEADER_TIMEOUT_S = 10.0
#: Seconds a request body may take to arrive in full, counted from its header: 1 MB at about
#: 270 kbit/s. A client that sends part of a body and stops frees its memory after this.
BODY_TIMEOUT_S = 30.0
#: Largest request body accepted: 1 MB, ample for a 28x28 array or a photo of a digit.
MAX_BODY_BYTES = 1_000_000
#: Pictures decoded at once. One at ``images.MAX_SIDE`` may take ~150 MB while it is decoded,
#: turned upright and shrunk, so this, not the number of clients, bounds that memory.
MAX_DECODES = 4
#: Connections (or requests in flight) served at once; more are answered 503.
MAX_CONNECTIONS = 64
#: Seconds an idle keep-alive connection stays open (uvicorn's default).
KEEP_ALIVE_S = 5
#: Hosts a local server answers to by default (``numkeras serve`` adds the host it listens on).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
