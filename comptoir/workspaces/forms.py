import logging
import zoneinfo

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import actions, throttle
from .models import LANGUAGE_CHOICES, Workspace
from .roles import Role

logger = logging.getLogger("comptoir.security")
COMMON_TIME_ZONES = [
    "Europe/Paris", "Europe/Brussels", "Europe/Zurich", "Europe/Luxembourg", "Europe/London", "America/Montreal",
    "America/Toronto", "America/New_York", "Africa/Abidjan", "Africa/Dakar", "Africa/Casablanca", "Indian/Reunion",
    "America/Martinique", "America/Guadeloupe", "Pacific/Noumea", "Pacific/Tahiti", "UTC",
]


def time_zone_choices():
    others = sorted(tz for tz in zoneinfo.available_timezones() if "/" in tz and tz not in COMMON_TIME_ZONES)
    return [(tz, tz) for tz in COMMON_TIME_ZONES] + [(tz, tz) for tz in others]


class LoginForm(AuthenticationForm):
    """Log-in by e-mail address, throttled per account and per client address (see ``throttle``)."""

    username = forms.EmailField(label=_("E-mail address"), max_length=254,
                                widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not email or not password:
            return super().clean()
        address = throttle.client_address(self.request)
        keys = throttle.login_keys(email, address)
        wait = throttle.reserve(keys)
        if wait:
            # Refused without looking at the password: a right one must not get through either.
            logger.info("Log-in attempt for %s from %s refused: locked for %d s more", email, address or "?", wait)
            raise ValidationError(throttle.login_wait_message(wait), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            wait = actions.note_failed_login(email, address)
            if wait:
                raise ValidationError([*exc.error_list, ValidationError(throttle.login_wait_message(wait))]) from exc
            raise
        throttle.clear(keys)
        return cleaned


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("The brand, association or client, as your team says it."))
    slug = forms.CharField(label=_("Short name"), max_length=60, required=False,
                           help_text=_("Used in addresses. Leave empty to build it from the name."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Workspace.Kind.choices)
    language = forms.ChoiceField(label=_("Main language of the community"), choices=LANGUAGE_CHOICES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices,
                                  help_text=_("Publication times and reports follow this time zone."))
    description = forms.CharField(label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CONTRIBUTOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AccountForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Interface language"), choices=LANGUAGE_CHOICES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=80, help_text=_("For example: reporting script, Zapier."))
    workspace = forms.ChoiceField(label=_("Workspace"))

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].choices = [(m.workspace.slug, m.workspace.name) for m in memberships]


class SignupForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               max_length=128, help_text=_("At least 10 characters, not a common password."))


class ChannelLabelForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=120, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *LANGUAGE_CHOICES], required=False)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Changing one's password revokes one's API tokens, unless asked to keep them."""

    keep_api_tokens = forms.BooleanField(
        label=_("Keep my API tokens"), required=False,
        help_text=_("Unticked, every API token of yours stops working: do that if your password may have leaked."))

    def save(self, commit=True):
        self.revoked_tokens = actions.do_set_password(self.user, self.cleaned_data["new_password1"], reason="change",
                                                      keep_api_tokens=self.cleaned_data["keep_api_tokens"])
        return self.user


class PasswordResetForm(auth_forms.PasswordResetForm):
    """The reset e-mail speaks its reader's language."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None):
        with translation.override(context["user"].language):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name)


class SetPasswordForm(auth_forms.SetPasswordForm):
    """The new password chosen from a reset link: always revokes the API tokens."""

    def save(self, commit=True):
        actions.do_set_password(self.user, self.cleaned_data["new_password1"], reason="reset")
        return self.user
