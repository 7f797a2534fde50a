from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailOrUsernameBackend(ModelBackend):
    """Log in with the e-mail address (or username) in any case: `Alice@Example.com` is alice."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        username = username.strip()
        user = (
            User._default_manager.filter(username__iexact=username).first()
            or User._default_manager.filter(email__iexact=username).order_by("pk").first()
        )
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request, credentials) -> str | None:
    """The username counted by the lockout: case-folded, so that each capitalization of an
    e-mail does not get its own failed attempts."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if username else None
