"""DKIM keys: an RSA key pair, the private half for the signer (rspamd), the public half as
the `<selector>._domainkey.<domain>` TXT record."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048


def generate_key(bits: int = KEY_BITS) -> tuple[str, str]:
    """(private key PEM, TXT record content 'v=DKIM1; k=rsa; p=...')."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return private_pem, dns_txt_for(private_pem)


def dns_txt_for(private_pem: str) -> str:
    """The TXT record content publishing PRIVATE_PEM's public key."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"
