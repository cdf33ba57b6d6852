"""Validation messages in words. The decoder says `Expected str matching regex '^[A-Z]{3}$'` or
`Invalid RFC3339 encoded date`; people are told what to write instead ("write the date as 2026-03-31")."""

from __future__ import annotations

import re

# The input patterns the schemas use, each with what to write.
PATTERNS = {
    r"^\d{4}-(0[1-9]|1[0-2])$": "write the month as 2026-03",
    r"^[0-9]{4}-(0[1-9]|1[0-2])$": "write the month as 2026-03",
    r"^[0-9]{1,13}(\.[0-9]{1,3})?$": "write the amount with digits and a dot, e.g. 150.00",
    r"^-?[0-9]{1,13}(\.[0-9]{1,3})?$": "write the amount with digits and a dot, e.g. 150.00 or -150.00",
    r"^[A-Z]{3}$": "write the currency as its 3-letter code, e.g. EUR",
    r"^[A-Z]{2}$": "write the country as its 2-letter code, e.g. GB",
    r"^\d{1,13}(\.\d{1,3})?$": "write the amount with digits and a dot, e.g. 150.00",
    r"^[0-9]{4}$": "write the account code as 4 digits, e.g. 1010",
    r"^[A-Z][A-Z0-9-]{1,31}$": "write a code of capital letters, digits and -, e.g. ESF-2026",
    r"^[a-z]+_[0-9a-z]+$": "write an id such as prv_7f3k2m (letters, _ and then letters and digits)",
    r"^([a-z]+_[0-9a-z]+)?$": "write an id such as prv_7f3k2m, or leave it empty",
    r"^[0-9+()\- ]*$": "write the phone number with digits, spaces, +, ( ) and - only",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "write an e-mail address such as ana@example.org",
    r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$": "write an e-mail address such as ana@example.org, or leave it empty",
    r"^[A-Za-z0-9 /.\-]+$": "use letters, digits, spaces and / . - only",
    r"^[A-Za-z0-9/.\- ]+$": "use letters, digits, spaces and / . - only",
}
KINDS = {
    "int": "a whole number",
    "float": "a number",
    "decimal": "a number",
    "str": "text",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "empty",
    "date": "a date such as 2026-03-31",
}
_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"^Invalid RFC ?3339 encoded datetime"), "write the date and time as 2026-03-31T14:00:00Z"),
    (re.compile(r"^Invalid RFC ?3339 encoded date"), "write the date as 2026-03-31"),
    (re.compile(r"^Invalid RFC ?3339 encoded time"), "write the time as 14:00:00"),
    (re.compile(r"^Invalid ISO 8601 duration"), "write the duration as P1D (one day) or PT2H (two hours)"),
    (re.compile(r"^Invalid UUID"), "write a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    (
        re.compile(r"^Expected `str` matching regex '(?P<pattern>.*)'$"),
        lambda m: _pattern_in_words(m["pattern"]),
    ),
    (re.compile(r"^Expected `\w+` of length <= (?P<n>\d+)$"), lambda m: f"is too long: at most {m['n']}"),
    (re.compile(r"^Expected `\w+` of length >= (?P<n>\d+)$"), lambda m: f"is too short: at least {m['n']}"),
    (re.compile(r"^Expected `\w+` >= (?P<n>\S+)$"), lambda m: f"must be {m['n']} or more"),
    (re.compile(r"^Expected `\w+` <= (?P<n>\S+)$"), lambda m: f"must be {m['n']} or less"),
    (re.compile(r"^Expected `\w+` > (?P<n>\S+)$"), lambda m: f"must be more than {m['n']}"),
    (re.compile(r"^Expected `\w+` < (?P<n>\S+)$"), lambda m: f"must be less than {m['n']}"),
    (
        re.compile(r"^Expected `(?P<want>[\w |]+)`, got `(?P<got>\w+)`$"),
        lambda m: "should be " + " or ".join(KINDS.get(k.strip(), k.strip()) for k in m["want"].split("|")),
    ),
    (re.compile(r"^Object missing required field `(?P<f>[^`]+)`$"), lambda m: f"{m['f']} is missing"),
    (
        re.compile(r"^Object contains unknown field `(?P<f>[^`]+)`$"),
        lambda m: f"{m['f']} is not a field here",
    ),
]
_WHERE = re.compile(r" - at `\$[^`]*`$")
UNKNOWN_PATTERN = "is not written the way this field needs (see its description and example)"


_CHOICES = re.compile(r"^\^\(([a-z_|]+)\)\$$")


def pattern_in_words(pattern: str) -> str | None:
    """What to write for a schema's pattern: a known one, or `^(a|b|c)$` as a choice of words."""
    if pattern in PATTERNS:
        return PATTERNS[pattern]
    choices = _CHOICES.match(pattern)
    if choices:
        *first, last = choices.group(1).split("|")
        return f"write {', '.join(first)} or {last}" if first else f"write {last}"
    return None


def _pattern_in_words(shown: str) -> str:
    # The decoder shows the pattern as a repr, with each backslash doubled.
    return pattern_in_words(shown.replace("\\\\", "\\")) or UNKNOWN_PATTERN


def in_words(message: str) -> str:
    """The decoder's message said for people; messages already in words pass through unchanged."""
    bare = _WHERE.sub("", message)
    for pattern, say in _RULES:
        found = pattern.match(bare)
        if found:
            return say(found) if callable(say) else str(say)
    return bare
