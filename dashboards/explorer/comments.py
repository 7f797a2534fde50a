"""What the customers' comments page shows of a page of responses: each comment with its date,
team, journey, channel and scores (never an id), the searched words marked, and the links between
pages."""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.formats import date_format

from .forms import value_label


def comments_context(page, *, org, journey_names: dict, words: str, filtered: bool, link) -> dict:
    """``page``: a Paginator page of ``survey_comments``; ``words``: the searched ones;
    ``link(**changes)``: the page with its filters changed."""
    return {
        "page": page,
        "comments": [_comment(r, tz=org.tzinfo, journey_names=journey_names, words=words) for r in page.object_list],
        "filtered": filtered,
        "clear_url": link(band=None, q=None),
        "previous_url": link(page=page.previous_page_number()) if page.has_previous() else None,
        "next_url": link(page=page.next_page_number()) if page.has_next() else None,
        "first_url": link() if page.number > 2 else None,
        "last_url": link(page=page.paginator.num_pages) if page.number < page.paginator.num_pages - 1 else None,
    }


def _comment(response, *, tz, journey_names: dict, words: str) -> dict:
    moment = timezone.localtime(response.responded_at, tz)
    return {
        "iso": moment.isoformat(),
        "date": date_format(moment, "j F Y, H:i"),
        "team": response.unit.name,
        "journey": value_label("journey", response.journey, journey_names) if response.journey else "",
        "channel": response.channel,
        "nps": response.nps,
        "csat": response.csat,
        "ces": response.ces,
        "band": _band(response.nps),
        "pieces": _highlight(response.comment, words),
    }


def _highlight(text: str, words: str) -> list[tuple[str, bool]]:
    """The comment cut into (piece, matches) around each case-insensitive occurrence of ``words``:
    the template marks the matches, escaping every piece."""
    if not words:
        return [(text, False)]
    pieces = re.split(f"({re.escape(words)})", text, flags=re.IGNORECASE)
    return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


def _band(nps: int | None) -> str:
    if nps is None:
        return ""
    return "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
