"""Proving a mobile number inside any portal form, with the one-time code.

A form that needs a verified mobile (booking, my appointments, a grievance) carries a
verification block: the mobile and a "send code" button, then the code and a "verify"
button. Both buttons post the whole form, so whatever was typed around them (a long
complaint, a patient's name) comes back on the page untouched. Codes are sent and
checked by ``booking_core.verification``, with its expiry, attempt limit and per-number
hourly limit (``OTP_*`` settings), exactly as for the API.

After "Send code" the page keeps the code step (the code box, the mobile and the form
as typed) on every reload, and after Back, while the code sent is still valid: the
carry of that step is sticky and says until when (``carry.MAX_AGE`` at most). A reload
must never make the citizen ask for another code, one of the few an hour.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from flask import Response, redirect, request
from werkzeug.datastructures import MultiDict

from booking_core.base import DomainError, utcnow
from booking_core.phones import mask_phone
from booking_core.verification import check_code, send_code
from helpline.app import current_helpline, get_session
from portal_web import carry, i18n, security

SEND_CODE = "send_code"
CHECK_CODE = "check_code"
STEPS = (SEND_CODE, CHECK_CODE)


@dataclass
class MobileCheck:
    """What the verification block shows."""

    phone: str | None = None  # the verified E.164 number
    typed: str = ""  # the mobile as the citizen typed it
    code_sent: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    code_until: dt.datetime | None = None  # a code just sent: when it stops working
    code_to: str = ""  # ... and the masked number it went to

    @property
    def masked(self) -> str:
        return mask_phone(self.phone)


def current_check(form: MultiDict[str, str] | None = None) -> MobileCheck:
    """The block as it stands: verified, or what was typed so far (on the page after a
    step, what that step carried: the mobile as typed, "code sent")."""
    phone = security.verified_mobile()
    check = MobileCheck(phone=phone, typed=(form or {}).get("mobile", "")[:32])
    carried = carry.take().get("check") or {}
    if carried:
        check.typed = str(carried.get("typed", ""))[:32]
        check.code_sent = bool(carried.get("code_sent")) and phone is None
        check.notice = i18n.again(carried.get("notice", ""))
        if phone is None:
            check.errors = i18n.again_all(carried.get("errors"))
        until = _moment(carried.get("code_until"))
        if until is not None:  # the code step after "Send code", on any reload
            check.code_sent = phone is None and until > utcnow()
            check.notice = (_code_sent(str(carried.get("code_to", ""))[:20], until)
                            if check.code_sent else "")
    if phone is None and not check.notice and security.expired_mobile():
        check.notice = i18n.t("portal.verify.expired")
    return check


def portal_path(value: object) -> str | None:
    """``value`` when it is a path of this portal (``/portal/...``, its query kept),
    else None. A ``next`` comes in a URL anybody can write, so it is never a way off
    the site (``//evil.example``, ``https://...``, ``/\\evil``, a tab or newline a
    browser drops) nor outside the portal, nor a path that only becomes one of those
    once a server or a browser decodes it (``%2F``, ``%5C``, ``%2E``, ``%0D%0A``). This
    is the portal's one test of a ``next``: every page that sends a citizen on after
    the code, and the language switch, go through it."""
    if not isinstance(value, str) or len(value) > 512 or not value.startswith("/portal/"):
        return None
    if "\\" in value or any(c.isspace() or not c.isprintable() for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or ".." in parts.path.split("/"):
        return None
    if _ENCODED_IN_PATH.search(parts.path) or _ENCODED_CONTROL.search(parts.query):
        return None
    return value


# No portal page's path has a percent-encoded slash, backslash, dot or control
# character; a query may hold a searched "a/b" (``q=a%2Fb``), never a control character.
_ENCODED_IN_PATH = re.compile(r"%(?:2f|5c|2e|[01][0-9a-f]|7f)", re.IGNORECASE)
_ENCODED_CONTROL = re.compile(r"%(?:[01][0-9a-f]|7f)", re.IGNORECASE)


def page_asked_for() -> str:
    """This request's page as the citizen asked for it: its path and query, less any
    ``next`` (a way on, not part of the page), when that passes ``portal_path``; else
    its bare path. Where a page that asks for the code in place comes back to after a
    step, and the ``next`` of a page that sends the citizen to another to ask."""
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "next"])
    return portal_path(f"{request.path}?{query}" if query else request.path) or request.path


def asking_first(here: str, then: str) -> str:
    """The URL of the page ``here`` (its own query kept) that asks for the mobile's
    code, then goes on to ``then`` (a cancel or change link followed before the mobile
    was proved)."""
    return f"{here}{'&' if '?' in here else '?'}{urlencode({'next': then})}"


def ask_first(here: str) -> Response:
    """A page that needs the proved mobile, opened without it: the 303 to the page
    ``here`` that asks for the code, with this page (``page_asked_for``, its query
    kept) as the ``next`` the citizen lands on once the code is checked. A POST's way
    on is its URL as a GET page: the form is not sent again by itself."""
    return redirect(asking_first(here, page_asked_for()), code=303)


def step_location(check: MobileCheck, here: str) -> str:
    """Where the 303 after a step on the page ``here`` goes: once the mobile is proved,
    to the page its URL's ``next`` names (where the link meant to take the citizen: the
    cancel question, the move page, a complaint), else back to ``here``, keeping that
    ``next``. A ``next`` that is no path of the portal is ignored."""
    then = portal_path(request.args.get("next"))
    if then is None:
        return here
    return then if check.phone is not None else asking_first(here, then)


def check_in_place(here: str | None = None) -> MobileCheck | Response:
    """The verification block of a page that asks for the code in place (an
    appointment, a complaint, a waiting list's place); after a step, the 303 (a
    ``Response``) that ``step_location`` names, so the history holds no POST. ``here``
    is the page to come back to, by default the page as asked for (``page_asked_for``:
    its query kept, a junk ``next`` dropped)."""
    check = current_check(request.form)
    if request.method == "POST" and request.form.get("step") in STEPS:
        check = run_step(request.form["step"], request.form)
        done = after_step(check, step_location(check, here or page_asked_for()))
        if done is not None:
            return done
    return check


def after_step(check: MobileCheck, location: str, **draft: object) -> Response | None:
    """The 303 to ``location`` after a step, carrying the block (with its errors, if
    the step was refused) and the form's ``draft`` to that page; None when the draft is
    too long to carry (the caller shows the form in place: 200, or 422 if refused)."""
    return back_to_form(check, location, draft)


def back_to_form(check: MobileCheck, location: str, draft: dict[str, object] | None = None,
                 **carried: object) -> Response | None:
    """The 303 to the GET page ``location`` of a form, carrying the verification block,
    what was typed (``draft``) and anything else the page shows again (``carried``:
    errors as ``i18n.keep_all``); None when that does not fit in a cookie."""
    sent = {"code_until": check.code_until.isoformat(), "code_to": check.code_to} \
        if check.code_until is not None else {}
    # Refused input, and a code step, stay on reload; a step's result shows once.
    return carry.redirect_with(location, sticky=bool(check.errors or carried.get("errors")
                                                     or carried.get("refused") or sent),
                               check={"typed": check.typed,
                                      "code_sent": check.code_sent,
                                      "notice": "" if sent else i18n.keep(check.notice),
                                      "errors": i18n.keep_all(check.errors), **sent},
                               draft=draft or {}, **carried)


def run_step(step: str, form: MultiDict[str, str]) -> MobileCheck:
    """Send a code to the typed mobile, or check the typed code; errors come back in the
    citizen's language on the field they concern."""
    settings = current_helpline().settings
    check = MobileCheck(typed=form.get("mobile", "").strip()[:32])
    try:
        if step == SEND_CODE:
            sent = send_code(get_session(), check.typed, i18n.current_language(),
                             ttl_seconds=settings.otp_ttl_seconds,
                             per_hour=settings.otp_per_number_per_hour, now=utcnow())
            check.code_sent = True
            check.code_until, check.code_to = sent.expires_at, mask_phone(sent.phone)
            check.notice = _code_sent(check.code_to, sent.expires_at)
        else:
            check.code_sent = True
            phone = check_code(get_session(), check.typed, form.get("code", ""),
                               max_attempts=settings.otp_max_attempts)
            security.remember_mobile(phone)
            check.phone = phone
            check.notice = i18n.t("portal.verify.done", mobile=mask_phone(phone))
    except DomainError as exc:  # a bad mobile and a bad code are both said at once
        check.errors.update(i18n.refusal_texts(exc, _otp_error, _FIELDS, default="code"))
        check.code_sent = step == CHECK_CODE and (
            "code" in check.errors or exc.code != "invalid_mobile")
    return check


def _code_sent(masked: str, until: dt.datetime) -> str:
    """"A code has been sent to +91******5678. It works until 10:42 am.": true on every
    reload, in the page's language of the moment."""
    return i18n.t("portal.verify.code_sent", mobile=masked, time=i18n.time_text(until))


def _moment(kept: object) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(kept)) if kept else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# The verification block's names for the fields the domain names.
_FIELDS = {"phone": "mobile", "code": "code"}


def _otp_error(exc: DomainError) -> str:
    if exc.code == "otp_rate_limited":
        minutes = -(-int(exc.details.get("retry_after", 3600)) // 60)
        return i18n.t("portal.err.otp_rate_limited", minutes=minutes)
    if exc.code == "otp_wrong_code" and exc.details.get("attempts_left") is not None:
        if not exc.details["attempts_left"]:  # that was the last try: the code is used up
            return i18n.error_text("otp_attempts_exhausted")
        return i18n.t("portal.err.otp_wrong_code_left", left=exc.details["attempts_left"])
    return i18n.error_text(exc.code)
