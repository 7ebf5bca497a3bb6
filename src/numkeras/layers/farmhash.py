"""FarmHash's 64-bit fingerprint (``farmhash::Fingerprint64``, its ``farmhashna::Hash64``), the
hash with which TensorFlow's ``tf.strings.to_hash_bucket_fast`` spreads strings over buckets,
and so with which Keras's lookup layers give an out-of-vocabulary string one of several OOV
indices. Written from Google's published FarmHash algorithm; a test checks it against
values that TensorFlow computed.

>>> fingerprint64(b"")
11160318154034397263
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _fetch64(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 8], "little")


def _fetch32(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 4], "little")


def _rotate(value: int, shift: int) -> int:
    """``value`` rotated right by ``shift`` bits (64-bit)."""
    return ((value >> shift) | (value << (64 - shift))) & _MASK if shift else value


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _hash_len16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len0to16(s: bytes) -> int:
    length = len(s)
    if length >= 8:
        mul = _K2 + length * 2
        a = (_fetch64(s, 0) + _K2) & _MASK
        b = _fetch64(s, length - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if length >= 4:
        mul = _K2 + length * 2
        a = _fetch32(s, 0)
        return _hash_len16(length + (a << 3), _fetch32(s, length - 4), mul)
    if length > 0:
        y = s[0] + (s[length >> 1] << 8)
        z = length + (s[length - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _ends(s: bytes, first_mul: int) -> tuple[int, int, int, int, int]:
    """What FarmHash's hashes of 17 to 64 bytes read first: ``mul`` and the words ``a``, ``b``
    (the first two, ``a`` times ``first_mul``) and ``c``, ``d`` (the last two, times ``mul`` and
    ``K2``)."""
    length = len(s)
    mul = _K2 + length * 2
    return (
        mul,
        (_fetch64(s, 0) * first_mul) & _MASK,
        _fetch64(s, 8),
        (_fetch64(s, length - 8) * mul) & _MASK,
        (_fetch64(s, length - 16) * _K2) & _MASK,
    )


def _mix(a: int, b: int, c: int, d: int, e: int) -> tuple[int, int]:
    """The two words FarmHash mixes from four (and ``e``) before ``HashLen16``:
    ``rotate(a + b, 43) + rotate(c, 30) + d`` and ``a + rotate(b + e, 18) + c``."""
    return (
        (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
        (a + _rotate((b + e) & _MASK, 18) + c) & _MASK,
    )


def _hash_len17to32(s: bytes) -> int:
    mul, a, b, c, d = _ends(s, _K1)
    return _hash_len16(*_mix(a, b, c, d, _K2), mul)


def _hash_len33to64(s: bytes) -> int:
    length = len(s)
    mul, a, b, c, d = _ends(s, _K2)
    y, u = _mix(a, b, c, d, _K2)
    z = _hash_len16(y, u, mul)
    e = (_fetch64(s, 16) * mul) & _MASK
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, length - 32)) * mul) & _MASK
    h = ((z + _fetch64(s, length - 24)) * mul) & _MASK
    return _hash_len16(*_mix(e, f, g, h, a), mul)


def _weak_hash_len32_with_seeds(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(s: bytes) -> int:
    """FarmHash's ``Fingerprint64`` of the bytes ``s``: an unsigned 64-bit integer."""
    length = len(s)
    if length <= 16:
        return _hash_len0to16(s)
    if length <= 32:
        return _hash_len17to32(s)
    if length <= 64:
        return _hash_len33to64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = w = (0, 0)
    x = (x * _K2 + _fetch64(s, 0)) & _MASK
    end = ((length - 1) // 64) * 64
    last64 = end + ((length - 1) & 63) - 63
    for i in range(0, end, 64):
        x = (_rotate((x + y + v[0] + _fetch64(s, i + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate((y + v[1] + _fetch64(s, i + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(s, i + 40)) & _MASK
        z = (_rotate((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak_hash_len32_with_seeds(s, i, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak_hash_len32_with_seeds(
            s, i + 32, (z + w[1]) & _MASK, (y + _fetch64(s, i + 16)) & _MASK
        )
        z, x = x, z
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w0 = (w[0] + ((length - 1) & 63)) & _MASK
    v0 = (v[0] + w0) & _MASK
    w0 = (w0 + v0) & _MASK
    v, w = (v0, v[1]), (w0, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(s, i + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v[1] + _fetch64(s, i + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _fetch64(s, i + 40)) & _MASK
    z = (_rotate((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_hash_len32_with_seeds(s, i, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_hash_len32_with_seeds(
        s, i + 32, (z + w[1]) & _MASK, (y + _fetch64(s, i + 16)) & _MASK
    )
    z, x = x, z
    return _hash_len16(
        (_hash_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash_len16(v[1], w[1], mul) + x) & _MASK,
        mul,
    )
