"""VAPID key pairs for Web Push (RFC 8292) (取組12, 17)."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def vapid_key_pair() -> tuple[str, str]:
    """(private, public): the private key as the raw 32-byte scalar and the public key as
    the 65-byte uncompressed P-256 point, both base64url without padding (what pywebpush
    and the browsers' applicationServerKey take)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return b64url(private), b64url(public)
