import re

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .models import Membership, UserProfile

_ORG_PATH = re.compile(r"^/o/(?P<slug>[-a-zA-Z0-9_]+)/")
_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    """Picks the UI language: the user's choice (profile, else cookie), else the browser's, else
    the organization's default, else the site default. Replaces Django's LocaleMiddleware, which knows no
    organization and no per-user preference."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response

    def _language(self, request) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            chosen = UserProfile.objects.filter(user=user).values_list("language", flat=True).first()
            if chosen in _SUPPORTED:
                return chosen
        requested = requested_language(request)
        if requested:
            return requested
        # The organization of the page, else (password change, picker...) the one the user is
        # working in, so that the interface does not change language from one page to the next.
        # Only among the user's own organizations: the language of a 404 must not tell an outsider
        # that an organization exists.
        if user is not None and user.is_authenticated:
            match = _ORG_PATH.match(request.path_info)
            slug = match["slug"] if match else request.session.get("org")
            if slug:
                org_language = (
                    Membership.objects.filter(user=user, organization__slug=slug)
                    .values_list("organization__language", flat=True)
                    .first()
                )
                if org_language in _SUPPORTED:
                    return org_language
        return settings.LANGUAGE_CODE


def requested_language(request) -> str | None:
    """The language the request itself names, without the database: the cookie's, else the
    browser's; None when neither is one of ours."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in _SUPPORTED:
        return cookie
    if request.headers.get("Accept-Language"):
        from_browser = translation.get_language_from_request(request)
        # Django falls back on LANGUAGE_CODE when nothing matches: only a real match counts.
        if from_browser in _SUPPORTED and _browser_asks_for(request, from_browser):
            return from_browser
    return None


def _browser_asks_for(request, language: str) -> bool:
    accepted = translation.trans_real.parse_accept_lang_header(request.headers.get("Accept-Language", ""))
    return any(code.split("-")[0].lower() == language for code, _q in accepted)
