#!/usr/bin/env python3
"""Check the Alibaba MQ for IoT signature vectors against Python's own HMAC-SHA1.

The vectors live in core/tests/fixtures/signature-vectors.tsv (key<TAB>message<TAB>password,
'#' starts a comment line). The Rust tests in core/src/auth/signature.rs read the same file,
so a row that passes here and there means Rust and Python agree byte for byte.

The three reference vectors from shared/reference/aliyun-mq-for-iot.md are also hard-coded
below, so the fixture cannot drift away from them unnoticed.

Prints one line per vector; exits 1 on any mismatch, 2 when the fixture is malformed.
Standard library only.
"""

import base64
import hashlib
import hmac
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "core" / "tests" / "fixtures" / "signature-vectors.tsv"

# (key, message, password) straight from the reference document.
REFERENCE = [
    ("secret", "GID_test@@@device1", "NW5TXLVdZ6euy8PHOr5pOHx1NjY="),
    ("secret", "GID_test", "7s7KTrjYpV6QqvpQU9tAgXOpkn0="),
    ("XXXXX", "GID_Test@@@0001", "vI009IZJZVGRwBwZvnbwjfuXxVM="),
]


def sign(key: str, message: str) -> str:
    """Base64(HmacSHA1(key, message)) over UTF-8 bytes, standard alphabet with padding."""
    mac = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def read_fixture(path: pathlib.Path):
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 3:
            raise ValueError(f"{path.name}:{number}: expected 3 tab-separated columns, got {len(cols)}")
        rows.append((number, *cols))
    return rows


def short(text: str, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def main() -> int:
    try:
        rows = read_fixture(FIXTURE)
    except (OSError, ValueError) as err:
        print(f"ERROR {err}")
        return 2

    failures = 0
    for key, message, expected in REFERENCE:
        present = any((k, m, p) == (key, message, expected) for _, k, m, p in rows)
        got = sign(key, message)
        ok = got == expected and present
        failures += not ok
        note = "" if present else "  (missing from fixture)"
        print(f"{'ok  ' if ok else 'FAIL'} reference key={short(key)} msg={short(message)} -> {got}{note}")

    for number, key, message, expected in rows:
        got = sign(key, message)
        ok = got == expected
        failures += not ok
        detail = "" if ok else f"  expected {expected}"
        print(f"{'ok  ' if ok else 'FAIL'} line {number:>2} key={short(key)} msg={short(message)} -> {got}{detail}")

    total = len(REFERENCE) + len(rows)
    print(f"{total - failures}/{total} vectors match")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
