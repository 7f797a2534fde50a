"""French typography of the strings the code puts together (translated strings carry their own).

French sets a narrow no-break space (U+202F) before ":", ";", "?" and "!": a label followed by a
colon must not be glued as "Forces:" nor broken at the end of a line as "Forces" / ": …". English
keeps the colon tight. Month abbreviations follow the French rule too ("janv.", "févr.", "juin",
"juil."): Django's "N" format reads them from the catalogues, the project's overriding two of
Django's French ones (see MONTH_ABBREVIATIONS).
"""

from django.utils.translation import get_language, pgettext_lazy

NARROW_NBSP = "\u202f"

# Django's own French catalogue abbreviates January and February "jan." and "fév."; the French
# rule (and Plotly's fr locale, used by the charts) says "janv." and "févr.". The project's root
# catalogue, which LOCALE_PATHS puts before Django's, translates these two (same context, same
# msgid as Django's): listed here so that makemessages keeps them.
MONTH_ABBREVIATIONS = (pgettext_lazy("abbrev. month", "Jan."), pgettext_lazy("abbrev. month", "Feb."))


def is_french(language: str | None = None) -> bool:
    return (language or get_language() or "").lower().startswith("fr")


def colon(language: str | None = None) -> str:
    """The colon after a label, in the active (or given) language: " :" in French (narrow
    no-break space), ":" otherwise."""
    return f"{NARROW_NBSP}:" if is_french(language) else ":"


def label(text: str, language: str | None = None) -> str:
    """``text`` followed by its colon: "Forces :" in French, "Strengths:" in English."""
    return f"{text}{colon(language)}"
