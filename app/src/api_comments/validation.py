"""Request validation: every rejection says what is wrong in one sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

# A content id is what both stores can hold: SQLite's INTEGER, a 64-bit signed integer.
MAX_CONTENT_ID = 2**63 - 1
# ASCII digits only: str.isdigit() also accepts "²" and Arabic-Indic digits, which int() or
# the store then refuses.
DIGITS = re.compile(r"[0-9]{1,19}")


class ValidationError(ValueError):
    """The request is well-formed HTTP but its content is not acceptable."""


@dataclass(frozen=True)
class NewComment:
    email: str
    comment: str
    content_id: int


def parse_content_id(value: object) -> int:
    """A positive integer up to 2**63 - 1; digit strings are accepted, as the original did."""
    if isinstance(value, str) and DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONTENT_ID:
        raise ValidationError(f"content_id must be a positive integer up to {MAX_CONTENT_ID}")
    return value


def parse_new_comment(data: object, max_length: int) -> NewComment:
    if not isinstance(data, dict):
        raise ValidationError("request body must be a JSON object")
    missing = [name for name in ("email", "comment", "content_id") if name not in data]
    if missing:
        raise ValidationError(f"missing field(s): {', '.join(missing)}")

    email, comment = data["email"], data["comment"]
    if not isinstance(email, str):
        raise ValidationError("email must be a string")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"email is not a valid address: {exc}") from exc
    if not isinstance(comment, str) or not comment.strip():
        raise ValidationError("comment must be a non-empty string")
    if len(comment) > max_length:
        raise ValidationError(f"comment is {len(comment)} characters long; the limit is {max_length}")
    return NewComment(email, comment, parse_content_id(data["content_id"]))


def parse_limit(value: str | None, maximum: int) -> int:
    if value is None:
        return maximum
    if not DIGITS.fullmatch(value) or not 1 <= int(value) <= maximum:
        raise ValidationError(f"limit must be an integer from 1 to {maximum}")
    return int(value)
