"""Resident ID numbers (居民身份证号): checked, masked for display, hashed for matching.

The number itself is never stored. The keyed hash finds the same person across
crews and sites; it is keyed so a leaked table cannot be reversed by hashing every
possible number. Changing SECRET_KEY therefore changes every hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from app.errors import ValidationFailed, invalid
from app.i18n import N_

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise(number: str) -> str:
    return re.sub(r"\s", "", number or "").upper()


def check_id_number(number: str, field: str = "id_number") -> str:
    """The normalised number, or ValidationFailed saying what is wrong with it."""
    number = normalise(number)
    if not _SHAPE.match(number):
        raise invalid(field, N_("An ID number has 18 characters: 17 digits and a digit or X."))
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise invalid(field, N_("The date of birth in this ID number does not exist.")) from None
    if not date(1900, 1, 1) <= born <= date.today():
        raise invalid(field, N_("The date of birth in this ID number does not exist."))
    if check_digit(number[:17]) != number[17]:
        raise invalid(field, N_("This ID number's last character is wrong; check it against the card."))
    return number


def is_valid(number: str) -> bool:
    try:
        check_id_number(number)
    except ValidationFailed:
        return False
    return True


def mask(number: str) -> str:
    """Shown instead of the number: the region's first digits and the last four."""
    return f"{number[:4]}{'*' * 10}{number[-4:]}"


def keyed_hash(number: str, secret_key: str) -> str:
    key = hashlib.sha256(f"id-number:{secret_key}".encode()).digest()
    return hmac.new(key, normalise(number).encode(), hashlib.sha256).hexdigest()
