"""India's DLT rules for transactional SMS, as data the tests and operators check.

Each template is registered on a DLT portal with fixed text and ``{#var#}`` slots of at
most 30 characters; an operator blocks any message whose fixed text differs from the
registered one. Twilio's API carries no DLT fields (the ids are mapped off-API), so the
ids live in the ``SMS_DLT_TEMPLATE_IDS`` setting beside the sender id, and
``flask dlt-templates`` prints what to register.
"""

from __future__ import annotations

import re
import string

from helpline.settings import Settings
from locales import LANGUAGES, catalogs

DLT_VARIABLE_MAX = 30
DLT_VARIABLE = "{#var#}"
# Parts an SMS may cost: "short enough to cost one or two SMS".
DEFAULT_SEGMENT_BUDGET = 2
# The help reply names every command in whole sentences, and goes only to a citizen who
# asked for it or wrote something we could not read: worth a third part in Hindi.
# A closed OPD's cancellation that also offers a new time names two days and a hospital:
# in Devanagari (UCS-2) that is three parts.
# An appointment booked for someone else by another phone reaches a patient who did not
# ask for it: it names the helpline, the whole appointment (hospital, department, day,
# time, token) and both ways to cancel (SMS and a call), which in Devanagari is three.
SEGMENT_BUDGETS: dict[str, int] = {"reply_help": 3, "reply_help_no_number": 3,
                                   "appointment_opd_closed_offer": 3,
                                   "appointment_opd_closed_offer_no_number": 3,
                                   "appointment_booked_for_you": 3,
                                   "appointment_booked_for_you_online": 3}
# Hindi only. Every SMS opens with the helpline's name, «दिल्ली स्वास्थ्य हेल्पलाइन: »:
# 28 of the 134 UTF-16 units two Devanagari parts hold. A message that also names a
# whole visit (hospital and department, up to 46 units, day, time, token, booking
# number) or a closed OPD and the number to call no longer fits two parts in whole
# sentences: these cost three in Hindi. Their English stays within the budget above.
HINDI_SEGMENT_BUDGETS: dict[str, int] = {
    "appointment_confirmation": 3, "appointment_rescheduled": 3,
    "appointment_reminder_evening": 3, "appointment_reminder_morning": 3,
    "appointment_opd_closed": 3, "appointment_opd_closed_no_number": 3,
    # The offer also says until when the place is held and how to take it by calling
    # back when its call is missed (menu 4): four parts in Devanagari.
    "waiting_list_offer": 4,
    # A closed day's waiting list: the hospital, the department and the day there will be
    # no OPD, that the place has gone and how to book another day.
    "waiting_list_opd_closed": 3, "waiting_list_opd_closed_no_number": 3,
    # The same visit, for a reader who is not the patient («मरीज़ की ओपीडी»).
    "appointment_confirmation_patient": 3, "appointment_rescheduled_patient": 3,
    "appointment_reminder_evening_patient": 3, "appointment_reminder_morning_patient": 3,
    # On the OPD day, STATUS for a token the queue passed: what happened and what to do
    # at the counter, in whole sentences.
    "reply_opd_passed": 3, "reply_opd_skipped": 3,
    # STATUS for a booking, booked or cancelled: it names the department, as the
    # confirmation does (a patient may hold two OPDs of one hospital the same morning).
    "reply_appointment_status_booked": 3, "reply_appointment_status_cancelled": 3,
}


def sms_template_keys() -> list[str]:
    """Every ``sms.*`` message in the catalogs, whichever feature's file holds it."""
    keys: set[str] = set()
    for lang in LANGUAGES:
        keys.update(k for k in catalogs()[lang] if k.startswith("sms."))
    return sorted(keys)


def segment_budget(key: str, lang: str) -> int:
    """Parts template ``key`` may cost in ``lang`` with its longest realistic values."""
    template = key.removeprefix("sms.")
    if lang == "hi" and template in HINDI_SEGMENT_BUDGETS:
        return HINDI_SEGMENT_BUDGETS[template]
    return SEGMENT_BUDGETS.get(template, DEFAULT_SEGMENT_BUDGET)


def dlt_text(lang: str, key: str) -> str:
    """The template as registered on the DLT portal: each ``{name}`` becomes ``{#var#}``."""
    parts = string.Formatter().parse(catalogs()[lang][key])
    return "".join(literal + (DLT_VARIABLE if name else "") for literal, name, _, _ in parts)


def dlt_pattern(lang: str, key: str) -> re.Pattern[str]:
    """What an operator accepts: the fixed text verbatim, 1-30 characters per slot."""
    parts = string.Formatter().parse(catalogs()[lang][key])
    regex = "".join(
        re.escape(literal) + (f"(.{{1,{DLT_VARIABLE_MAX}}})" if name else "")
        for literal, name, _, _ in parts
    )
    return re.compile(regex, re.DOTALL)


def dlt_template_ids(settings: Settings) -> dict[str, str]:
    """``SMS_DLT_TEMPLATE_IDS`` as {template: id}; a template may be registered per
    language as ``template.hi=...``."""
    ids: dict[str, str] = {}
    for item in settings.sms_dlt_template_ids.split(","):
        name, sep, value = item.partition("=")
        if sep and name.strip() and value.strip():
            ids[name.strip()] = value.strip()
    return ids


def dlt_template_id(settings: Settings, template: str, lang: str) -> str | None:
    ids = dlt_template_ids(settings)
    return ids.get(f"{template}.{lang}") or ids.get(template)
