"""Views outside any organization: picking an organization, choosing the UI language, setting a
forgotten password; and for an organization's views, the answer of a URL that moved and the
decorator that puts a page in the organization's timezone."""

from functools import wraps

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .access import org_view
from .models import Membership, UserProfile


@login_required
def home(request):
    """After log-in: straight to the only (or last used) organization, else a list to pick from."""
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("organization").order_by("organization__name")
    )
    # ``?pick`` (the header's "My organizations") always shows the list, even of one organization.
    if request.GET.get("pick") is None:
        if len(memberships) == 1:
            return redirect("org-home", org=memberships[0].organization.slug)
        last = UserProfile.objects.filter(user=request.user).values_list("last_organization__slug", flat=True).first()
        if last and any(m.organization.slug == last for m in memberships):
            return redirect("org-home", org=last)
    return render(request, "tenancy/pick_organization.html", {"memberships": memberships})


@require_POST
def language_set(request):
    """Remember the chosen language: on the user's profile when logged in, and in a cookie."""
    language = request.POST.get("language")
    if language not in {code for code, _name in settings.LANGUAGES}:
        return HttpResponseBadRequest(_("Unsupported language."))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    if request.user.is_authenticated:
        UserProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )
    return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the e-mailed link also lifts a log-in lockout: the link
    proves the person owns the account, and the lockout page sends them here."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


def moved(pattern_name: str):
    """The view of an organization's URL that moved for good: 301 to ``pattern_name`` with the same
    arguments and query string. Outsiders get the 404 of every URL under o/<slug>/."""

    @org_view()
    def view(request, org, **kwargs):
        url = reverse(pattern_name, kwargs={"org": org.slug, **kwargs})
        query = request.META.get("QUERY_STRING")
        return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)

    view.moved_to = pattern_name
    return view


def in_org_timezone(view):
    """Decorate a view of ``org_view`` (below it) whose forms read, and pages show, dates and times:
    in the organization's timezone, not the server's, wherever the user is."""

    @wraps(view)
    def wrapper(request, org, *args, **kwargs):
        with timezone.override(org.tzinfo):
            return view(request, org, *args, **kwargs)

    return wrapper
