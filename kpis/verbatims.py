"""Personal data in customers' verbatims: e-mail addresses, phone numbers, IBANs and card numbers
are replaced by markers before a comment is stored (CNIL: free text stays relevant and not
excessive; a verbatim is read for what the customer says, not for how to reach them).

No Django here: the markers come from the caller, in the organization's language. The patterns
err on the side of the customer's sentence: a number is masked only when it is shaped like a phone
number (French, or international with its ``+``/``00`` prefix), an IBAN whose check digits hold
(ISO 13616, mod 97) or a card number whose Luhn digit holds; prices, dates, postal codes and order
numbers stay as written.
"""

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}")
# Two letters, two check digits, then 11 to 30 letters or digits, in groups of up to 4.
# Capitals only, as IBANs are written: a lowercase word after one is not swallowed into it.
IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![\w])")
# 13 to 19 digits, optionally in groups separated by one space or dash, starting as the card
# networks' numbers do (Visa 4, Mastercard 51–55 and 22–27, Amex 34 and 37, Discover and UnionPay 6).
CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6)")
CARD = re.compile(r"(?<![\d\w])\d(?:[ \-]?\d){12,18}(?![\d\w])")
# 0X XX XX XX XX, +33 X XX XX XX XX, 0033 (0)X…, with spaces, dots or dashes between the pairs.
FRENCH_PHONE = re.compile(r"(?<![\d\w+])(?:(?:\+|00)33[\s.\-]?(?:\(0\)[\s.\-]?)?|0)[1-9](?:[\s.\-]?\d{2}){4}(?![\d\w])")
# +44 20 7946 0958, 0049 30 1234567, +1 (415) 555-0132: a country prefix, then 7 to 14 digits.
INTERNATIONAL_PHONE = re.compile(r"(?<![\d\w+])(?:\+|00)[1-9][\d\s.\-()]{5,22}\d(?![\d\w])")


@dataclass(frozen=True)
class Markers:
    email: str
    phone: str
    iban: str
    card: str


def _iban_valid(candidate: str) -> bool:
    value = candidate.replace(" ", "")
    if not 15 <= len(value) <= 34:
        return False
    rearranged = value[4:] + value[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _card_valid(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    # A run of one digit (0000 0000 0000 0) passes Luhn but is nobody's card.
    return 13 <= len(digits) <= 19 and bool(CARD_PREFIX.match(digits)) and len(set(digits)) > 1 and luhn_valid(digits)


def _international_valid(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate.removeprefix("00"))
    return 8 <= len(digits) <= 15


# In this order: an e-mail may hold digits, an IBAN holds a card-like run, a card a phone-like one.
_RULES = (
    (EMAIL, None, "email"),
    (IBAN, _iban_valid, "iban"),
    (CARD, _card_valid, "card"),
    (FRENCH_PHONE, None, "phone"),
    (INTERNATIONAL_PHONE, _international_valid, "phone"),
)
# Nothing to mask without an @ or a run of digits: most comments skip every pattern.
_WORTH_A_LOOK = re.compile(r"@|\d{2}")


def mask_personal_data(text: str, markers: Markers) -> tuple[str, int]:
    """``text`` with its e-mail addresses, phone numbers, IBANs and card numbers replaced by
    ``markers``, and how many were replaced."""
    if not text or not _WORTH_A_LOOK.search(text):
        return text, 0
    count = 0
    for pattern, valid, kind in _RULES:
        marker = getattr(markers, kind)

        def replace(match, valid=valid, marker=marker):
            nonlocal count
            if valid is not None and not valid(match.group()):
                return match.group()
            count += 1
            return marker

        text = pattern.sub(replace, text)
    return text, count
