"""The admin site: a password for every staff login, plus a TOTP token for superusers and
finance members (django-otp).

A user who needs the second factor reaches the admin only with a session verified by one
of their confirmed TOTP devices; without one the admin treats them as if they had no
access and shows its login page ("You are authenticated as ..., but are not authorized").
A user with no device cannot enrol from the admin itself: ``manage.py otp_enrol USER``
creates the device and prints its otpauth:// URI (README.md, "Security: staff logins").
Failed logins are counted and locked out by django-axes (settings).
"""

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin

from agency.dashboards import dashboard_for
from agency.roles import needs_second_factor


def otp_satisfied(user) -> bool:
    """The user needs no second factor, or this session was verified by a device."""
    return not needs_second_factor(user) or user.is_verified()


class StaffLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """Username and password; a TOTP token too for users who need it or have a device."""

    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        required=False,
        label="Authenticator code",
        help_text="Six digits from your authenticator app (superusers and finance).",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and (needs_second_factor(user) or _confirmed_device(user)):
            if not self.cleaned_data.get("otp_device"):
                device = _confirmed_device(user)
                if device is None:
                    raise forms.ValidationError(
                        "This login needs an authenticator app, and none is enrolled yet. "
                        "An administrator enrols one with: manage.py otp_enrol <username>.",
                        code="otp_not_enrolled",
                    )
                self.cleaned_data["otp_device"] = device.persistent_id
            self.clean_otp(user)
        return cleaned


def _confirmed_device(user):
    return next(iter(devices_for_user(user, confirmed=True)), None)


class StaffAdminSite(AdminSite):
    site_header = "MCN back office"
    site_title = "MCN back office"
    index_title = "Roster, deals, revenue and payouts"
    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"
    index_template = "admin/agency/index.html"

    def index(self, request, extra_context=None):
        """The landing page: the user's role dashboards above the usual list of models."""
        extra_context = {**(extra_context or {}), "dashboard": dashboard_for(request)}
        return super().index(request, extra_context)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and otp_satisfied(request.user)
