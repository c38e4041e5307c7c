#!/usr/bin/python3
"""Verifies a DSSE envelope without any of bootfarm's code, for the tests (ADR 0044).

PAE is computed from the DSSE v1 specification (protocol.md): "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
LEN the byte length in ASCII decimal; the Ed25519 signature is checked by libsodium through Debian's python3-nacl,
with the public keys as GET /api/v1/keys serves them (base64 of the 32 raw bytes; keyid their hex sha256).

Usage: dsse_verify.py ENVELOPE.jsonl KEYS.json
Exit 0 and the payload on stdout's second line when a signature by a listed key verifies; 1 otherwise.
"""
import base64
import hashlib
import json
import sys

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey


def pae(payload_type: bytes, body: bytes) -> bytes:
    return b"DSSEv1 " + str(len(payload_type)).encode() + b" " + payload_type + b" " \
        + str(len(body)).encode() + b" " + body


def main() -> int:
    with open(sys.argv[1], "rb") as f:
        envelope = json.loads(f.read().splitlines()[0])
    with open(sys.argv[2], "rb") as f:
        keys = {k["keyid"]: base64.b64decode(k["publicKey"], validate=True) for k in json.load(f)["keys"]}
    if envelope["payloadType"] != "application/vnd.in-toto+json":
        print("payloadType is " + envelope["payloadType"])
        return 1
    payload = base64.b64decode(envelope["payload"], validate=True)
    message = pae(envelope["payloadType"].encode("utf-8"), payload)
    for signature in envelope["signatures"]:
        raw = keys.get(signature["keyid"])
        if raw is None:
            continue
        if hashlib.sha256(raw).hexdigest() != signature["keyid"]:
            print("keyid " + signature["keyid"] + " is not the sha256 of its key's raw bytes")
            return 1
        try:
            VerifyKey(raw).verify(message, base64.b64decode(signature["sig"], validate=True))
        except BadSignatureError:
            print("signature of " + signature["keyid"] + " does not verify")
            return 1
        print("verified " + signature["keyid"])
        print(payload.decode("utf-8"))
        return 0
    print("no signature by a key of " + sys.argv[2])
    return 1


if __name__ == "__main__":
    sys.exit(main())
