"""fingerprint64 equals FarmHash's Fingerprint64 as TensorFlow computes it (``tf.fingerprint(...,
method='farmhash64')``, recorded with TensorFlow 2.21), across every length branch of the
algorithm: 0-16, 17-32, 33-64 bytes, and the 64-byte blocks of longer strings."""

from __future__ import annotations

import pytest

from numkeras.layers.farmhash import fingerprint64

#: Length of the bytes ``(7 i + 13) mod 256`` for i < length, and TensorFlow's fingerprint.
TENSORFLOW = {
    0: 11160318154034397263,
    1: 9989886642965168390,
    2: 16053245775599228409,
    3: 13470129233506534873,
    4: 3723967217044954291,
    7: 2291355453870284375,
    8: 478508900107774634,
    15: 12854486249882464382,
    16: 11685267102876055588,
    17: 6617207863763178933,
    31: 4770325207387468896,
    32: 2297799934672592922,
    33: 7493719516629604641,
    63: 5580180742615735442,
    64: 14667671575308476582,
    65: 6749979819404335071,
    127: 6365401949938978324,
    128: 9793221212041136111,
    129: 16384186208714629408,
    300: 3284756161232658680,
}


@pytest.mark.parametrize("length", sorted(TENSORFLOW))
def test_fingerprint64_is_tensorflows(length):
    data = bytes((7 * i + 13) % 256 for i in range(length))
    assert fingerprint64(data) == TENSORFLOW[length]
