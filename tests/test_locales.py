"""Every message exists in Hindi and English, with the same placeholders."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest

from locales import LANGUAGES, catalogs, placeholders, render
from locales.formatting import format_age, format_date, format_number, format_time, spoken_digits

DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def test_every_message_exists_in_both_languages():
    cats = catalogs()
    keys = {lang: set(cats[lang]) for lang in LANGUAGES}
    assert keys["hi"] == keys["en"], keys["hi"] ^ keys["en"]
    empty = [(lang, k) for lang in LANGUAGES for k, v in cats[lang].items() if not v.strip()]
    assert empty == []


def test_placeholders_match_between_languages():
    cats = catalogs()
    mismatched = [
        k for k in cats["en"] if placeholders(cats["en"][k]) != placeholders(cats["hi"][k])
    ]
    assert mismatched == []


def test_hindi_texts_are_devanagari():
    """Hindi must be written in Devanagari, not transliterated English."""
    cats = catalogs()
    latin_only = [k for k, v in cats["hi"].items()
                  if not DEVANAGARI.search(v) and re.sub(r"\{\w+\}|[\W\d_]", "", v)
                  and not re.fullmatch(r"[A-Z]{2,}", re.sub(r"\{\w+\}|[\W\d_]", "", v))]
    assert latin_only == []


def test_render_fills_params_and_falls_back_to_hindi():
    assert render("en", "sms.otp_code", code="482913").startswith("482913 ")
    assert "482913" in render("xx", "sms.otp_code", code="482913")
    assert DEVANAGARI.search(render("xx", "sms.otp_code", code="1"))


def test_babel_hindi_dates_and_times():
    day = dt.date(2025, 3, 7)
    assert format_date("hi", day) == "शुक्रवार, 7 मार्च"
    assert format_date("en", day) == "Friday, 7 March"
    assert format_time("hi", dt.time(9, 5)) == "सुबह 9:05"
    assert format_time("en", dt.time(15, 5)) == "3:05 pm"
    # A UTC moment is said in Asia/Kolkata: 03:35 UTC is 9:05 IST.
    assert format_time("hi", dt.datetime(2025, 3, 7, 3, 35, tzinfo=dt.UTC)) == "सुबह 9:05"
    assert format_number("hi", 1234567) == "12,34,567"


@pytest.mark.parametrize(
    ("clock", "english", "hindi"),
    [
        (dt.time(0, 0), "12:00 am", "रात 12:00"),
        (dt.time(3, 59), "3:59 am", "रात 3:59"),
        (dt.time(4, 0), "4:00 am", "सुबह 4:00"),
        (dt.time(9, 0), "9:00 am", "सुबह 9:00"),
        (dt.time(11, 59), "11:59 am", "सुबह 11:59"),
        (dt.time(12, 0), "12:00 pm", "दोपहर 12:00"),
        (dt.time(13, 30), "1:30 pm", "दोपहर 1:30"),
        (dt.time(16, 0), "4:00 pm", "शाम 4:00"),
        (dt.time(19, 45), "7:45 pm", "शाम 7:45"),
        (dt.time(20, 0), "8:00 pm", "रात 8:00"),
        (dt.time(23, 59), "11:59 pm", "रात 11:59"),
    ],
)
def test_times_are_spoken_in_the_projects_own_words(clock, english, hindi):
    """Lower-case am/pm and Hindi day periods are ours, not the installed CLDR data's."""
    assert format_time("en", clock) == english
    assert format_time("hi", clock) == hindi


def test_digits_are_read_one_by_one_with_pauses():
    assert spoken_digits("29254851") == "2 9 2 5, 4 8 5 1"


HOUR = 3600
# How long ago, at the boundaries between units: minutes below an hour, hours below a
# day, then whole days (26 and 47 hours are 1 day).
AGES = [
    (60, "1 minute ago", "1 मिनट पहले"),
    (59 * 60, "59 minutes ago", "59 मिनट पहले"),
    (59 * 60 + 59, "59 minutes ago", "59 मिनट पहले"),
    (HOUR, "1 hour ago", "1 घंटे पहले"),
    (2 * HOUR, "2 hours ago", "2 घंटे पहले"),
    (23 * HOUR, "23 hours ago", "23 घंटे पहले"),
    (24 * HOUR - 1, "23 hours ago", "23 घंटे पहले"),
    (24 * HOUR, "1 day ago", "1 दिन पहले"),
    (26 * HOUR, "1 day ago", "1 दिन पहले"),
    (47 * HOUR, "1 day ago", "1 दिन पहले"),
    (48 * HOUR, "2 days ago", "2 दिन पहले"),
    (3 * 24 * HOUR, "3 days ago", "3 दिन पहले"),
]


@pytest.mark.parametrize(("seconds", "english", "hindi"), AGES)
def test_age_words(seconds, english, hindi):
    assert format_age("en", seconds) == english
    assert format_age("hi", seconds) == hindi


@pytest.mark.parametrize(("seconds", "english", "hindi"), AGES)
def test_every_age_frame_is_a_whole_sentence_in_both_languages(seconds, english, hindi):
    """Each sentence that says how old something is takes the whole phrase, so no frame
    puts a bare duration before its own "ago" (a Hindi case the frame can only guess)."""
    cases = {
        "ivr.status.result": ({"number": "8 2 3 0", "status": ""},
                              "Complaint number 8 2 3 0.  Last updated {}.",
                              "शिकायत नंबर 8 2 3 0।  आख़िरी अपडेट {} हुआ।"),
        "ivr.beds.updated": ({}, "Updated {}.", "{} अपडेट किया गया।"),
        "portal.updated_ago": ({}, "updated {}", "अपडेट: {}"),
        "console.res.age": ({}, "updated {}", "{} अपडेट हुआ"),
    }
    for key, (params, en_frame, hi_frame) in cases.items():
        for lang, frame, said in (("en", en_frame, english), ("hi", hi_frame, hindi)):
            assert render(lang, key, age=format_age(lang, seconds), **params) == (
                frame.format(said)), (key, lang)
    for lang in LANGUAGES:
        for key, text in catalogs()[lang].items():
            if "{age}" in text:
                assert not re.search(r"\{age\} (ago|पहले)", text), (key, text)


def test_waits_are_whole_phrases_in_the_same_units():
    from locales.formatting import format_wait

    assert render("hi", "ivr.opd.wait", wait=format_wait("hi", 12 * 60)) == (
        "आपकी बारी लगभग 12 मिनट में आएगी।")
    assert render("en", "ivr.opd.wait", wait=format_wait("en", 90 * 60)) == (
        "Your turn should come in about an hour.")
    assert format_wait("hi", 60) == "लगभग एक मिनट में"
    assert format_wait("hi", 3 * HOUR) == "लगभग 3 घंटे में"
    assert format_wait("en", 26 * HOUR) == "in about a day"


def test_times_and_days_are_spoken_as_delhi_says_them():
    import datetime as dt

    from locales.formatting import spoken_day, spoken_time

    assert spoken_time("hi", dt.time(9, 0)) == "सुबह 9 बजे"
    assert spoken_time("hi", dt.time(9, 30)) == "सुबह साढ़े 9 बजे"
    assert spoken_time("hi", dt.time(14, 30)) == "दोपहर ढाई बजे"
    assert spoken_time("hi", dt.time(13, 30)) == "दोपहर डेढ़ बजे"
    assert spoken_time("hi", dt.time(10, 15)) == "सुबह सवा 10 बजे"
    assert spoken_time("hi", dt.time(11, 45)) == "सुबह पौने 12 बजे"
    assert spoken_time("hi", dt.time(16, 10)) == "शाम 4 बजकर 10 मिनट"
    assert spoken_time("en", dt.time(9, 0)) == "9 am"
    assert spoken_time("en", dt.time(12, 0)) == "12 noon"
    assert spoken_time("en", dt.time(14, 30)) == "2:30 pm"
    from locales.formatting import written_time

    assert written_time("hi", dt.time(9, 30)) == "सुबह 9:30"
    assert written_time("en", dt.time(9, 30)) == "9:30 am"
    today = dt.date(2030, 3, 7)
    assert spoken_day("hi", today, today) == "आज"
    assert spoken_day("hi", today + dt.timedelta(days=1), today) == "कल"
    assert spoken_day("en", today + dt.timedelta(days=2), today) == "Saturday, 9 March"


def test_hindi_phone_words_are_devanagari_and_one_brand_name():
    """Every Hindi prompt has Devanagari in it (no Latin-only Hindi); the helpline has one
    name; one word for "action" (कार्रवाई), on the phone and by SMS."""
    import re

    cats = catalogs()
    for key, text in cats["hi"].items():
        words = re.sub(r"\{[^}]*\}", "", text)
        if key.startswith(("ivr.", "messaging.call.")) and re.search(r"[A-Za-z]", words + "x"):
            assert re.search(r"[\u0900-\u097f]", words) or not words.strip(), (key, text)
        assert "दिल्ली हेल्थ" not in text and "कार्यवाही" not in text, (key, text)
    assert "free beds" not in cats["en"]["ivr.beds.hospital"]


def test_a_number_is_never_said_next_to_a_plural_noun_it_does_not_fit():
    import re

    from locales.formatting import format_age

    assert render("en", "ivr.callback.long_wait_one") .endswith("about a minute.")
    for lang in LANGUAGES:
        for seconds in (60, 3600, 86400 * 2):
            said = format_age(lang, seconds)
            assert not re.search(r"\b1 (minutes|hours|days)\b", said), said
    for key, text in catalogs()["en"].items():
        if not key.startswith(("ivr.", "messaging.call.")):
            continue
        assert not re.search(r"\{[a-z_]+\} (seats|minutes|appointments|people|places)\b",
                             text) or _has_singular(key, "en"), key
    for key, text in catalogs()["hi"].items():
        if key.startswith(("ivr.", "messaging.call.")) and re.search(
                r"\{[a-z_]+\} (लोग|व्यक्ति|सीटें|मिनट)", text):
            assert _has_singular(key, "hi"), key


def _has_singular(key: str, lang: str) -> bool:
    """A sentence with a count beside a plural noun has its singular: ``key_one``, or
    for a counted family's ``key.other``, ``key.one`` (``render_count``)."""
    family, _, form = key.rpartition(".")
    return f"{key}_one" in catalogs()[lang] or (
        form == "other" and f"{family}.one" in catalogs()[lang])


# Latin-letter words a Hindi SMS or phone prompt may keep. None is needed today: the
# catalogs write OPD, SMS, ICU and ABHA in Devanagari (ओपीडी, एसएमएस, आईसीयू, आभा), as
# callers say them. Names and codes that arrive as data ({hospital}, {reference}) are
# placeholders and not checked. Add a word here only with the reason it has no
# Devanagari form a caller would recognise.
HINDI_LATIN_ALLOWED: frozenset[str] = frozenset()
# What citizens read by SMS or hear on the phone line (and its outbound calls).
SPOKEN_OR_TEXTED = ("sms.", "ivr.", "messaging.")
# Screens read in Hindi: the citizens' portal and the staff console (master data,
# reports, the OPD counter, the browser phone included). They too write SMS, ABHA and
# QR as said (एसएमएस, आभा, क्यूआर); a screen may keep in Latin letters only what its
# reader must recognise or type in them:
HINDI_SCREEN_LATIN_ALLOWED = frozenset({
    "English",  # the language's own name on the language switch, as every site writes it
    "PDF", "PNG", "CSV",  # a download's file type, as the saved file's name ends
    "LNJP", "LNH", "ortho",  # examples of what is typed in Latin letters (an alias, codes)
    "Twilio", "API", "key",  # the provider and its setting as an admin finds them there
})
ON_SCREEN = ("portal.", "console.")


def _latin_words(prefixes: tuple[str, ...], allowed: frozenset[str]) -> dict[str, list[str]]:
    found = {}
    for key, text in catalogs()["hi"].items():
        if not key.startswith(prefixes):
            continue
        words = set(re.findall(r"[A-Za-z][A-Za-z'.-]*", re.sub(r"\{[^}]*\}", " ", text)))
        if words - allowed:
            found[key] = sorted(words - allowed)
    return found


def test_hindi_sms_and_prompts_write_no_latin_words():
    """«एसएमएस», not «SMS»: a Hindi SMS or prompt is read or spoken whole in Devanagari."""
    assert _latin_words(SPOKEN_OR_TEXTED, HINDI_LATIN_ALLOWED) == {}


def test_hindi_portal_and_console_write_no_latin_words():
    """«इस पर एसएमएस से 6 अंकों का कोड भेजा जाएगा।», not «SMS से»: one spelling of a word
    on every Hindi screen, as in the SMS the citizen then gets."""
    assert _latin_words(ON_SCREEN, HINDI_LATIN_ALLOWED | HINDI_SCREEN_LATIN_ALLOWED) == {}
    assert "एसएमएस से 6 अंकों का कोड" in catalogs()["hi"]["portal.verify.mobile_hint"]


def test_the_waiting_list_says_how_many_are_ahead_in_a_sentence_per_case():
    """None, one and more ahead are whole sentences of their own in both languages (no
    "People ahead of you: 0", no "1 people")."""
    for lang in LANGUAGES:
        first = render(lang, "ivr.wait.joined_first")
        one = render(lang, "ivr.wait.joined_one")
        more = render(lang, "ivr.wait.joined", ahead="3")
        assert "{" not in first + one and "0" not in first and "1" not in one
        assert "3" in more and ": 3" not in more
    assert "You are first on the list." in render("en", "ivr.wait.joined_first")
    assert "आप सूची में सबसे पहले हैं।" in render("hi", "ivr.wait.joined_first")
    assert "3 people are ahead of you." in render("en", "ivr.wait.joined", ahead="3")
    assert "आपसे पहले 3 लोग हैं।" in render("hi", "ivr.wait.joined", ahead="3")


# One word per idea on the console and the portal (Hindi as Delhi office staff say it):
# the word chosen, and the variants it replaced. A variant anywhere fails.
ONE_WORD_ON_SCREEN = {
    "सेव (save)": re.compile(r"सहेज"),  # सहेजें, सहेजा गया, सहेजने ...
    "रैप-अप (wrap-up)": re.compile(r"कॉल के बाद का काम|उसके बाद का काम|पिछली कॉल का काम"),
}
SAVE_WORD = re.compile(r"सेव(?![\u093e-\u094d])")  # सेव, not सेवा (service)


def test_the_console_and_portal_say_save_and_wrap_up_one_way():
    cats = catalogs()
    on_screen = {k: v for k, v in cats["hi"].items() if k.startswith(ON_SCREEN)}
    for word, variants in ONE_WORD_ON_SCREEN.items():
        found = sorted(k for k, v in on_screen.items() if variants.search(v))
        assert found == [], f"say {word}: {found}"
    assert SAVE_WORD.search(on_screen["console.save"])
    assert on_screen["console.state.wrap_up"] == "रैप-अप"
    assert "सेवा" in cats["hi"]["portal.error.unavailable"]  # a service is not a save
    assert not SAVE_WORD.search(cats["hi"]["portal.error.unavailable"])


NUKTA = "\u093c"


def _without_nukta(word: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", word).replace(NUKTA, ""))


# One word for one thing in every Hindi catalog (the phone line, SMS, console, portal,
# reports, master data): the word chosen, and the words it replaced. A replaced word in any
# message fails, as a second spelling of a word does below.
ONE_WORD_EVERYWHERE = {
    # «बेड», as Delhi's hospitals and patients say it and the portal and home page wrote
    # it; the phone line said «खाली बिस्तरों», the console «सामान्य बिस्तर».
    "बेड (bed)": re.compile(r"बिस्तर"),
    # The language's name as most messages and the language buttons spell it, «हिन्दी»
    # (the card page once said «हिंदी» beside buttons saying «हिन्दी»): any other
    # spelling, with anusvara, a short i or a joiner, is a second one.
    "हिन्दी (Hindi)": re.compile(r"हि(?:ं|न्[\u200c\u200d]?)?द(?:ि|ी)(?<!हिन्दी)"),
    # PDF as the download buttons write it, in Latin letters like the file's name
    # (``HINDI_SCREEN_LATIN_ALLOWED``), never «पीडीएफ़» (the card page's other spelling)
    # nor "pdf" (a file's name, "card.pdf", may end so).
    "PDF": re.compile(r"पी\.?\s?डी\.?\s?एफ|(?<![.\w])(?!PDF\b)[Pp][Dd][Ff]\b"),
}


def test_every_hindi_word_is_spelled_one_way_with_or_without_nukta():
    """«ख़त्म» and «खत्म», «ग़लत» and «गलत» in the same helpline read as careless: each
    word takes its nukta everywhere or nowhere (caller prompts, SMS, console, portal).
    So do two words for one thing: a bed is «बेड» on the phone, on the portal and on the
    console, never «बिस्तर» (``ONE_WORD_EVERYWHERE``)."""
    spellings: dict[str, dict[str, list[str]]] = {}
    for key, text in catalogs()["hi"].items():
        for word in re.findall(r"[\u0900-\u097f]+", unicodedata.normalize("NFD", text)):
            word = unicodedata.normalize("NFC", word)
            spellings.setdefault(_without_nukta(word), {}).setdefault(word, []).append(key)
    mixed = {plain: {w: keys[:2] for w, keys in forms.items()}
             for plain, forms in spellings.items() if len(forms) > 1}
    assert mixed == {}
    replaced = {word: found for word, variants in ONE_WORD_EVERYWHERE.items()
                if (found := sorted(k for k, v in catalogs()["hi"].items() if variants.search(v)))}
    assert replaced == {}


def test_a_bed_is_one_word_on_the_phone_the_portal_and_the_console():
    variants = ONE_WORD_EVERYWHERE["बेड (bed)"]
    assert variants.search("खाली बिस्तरों की जानकारी") and variants.search("सामान्य बिस्तर")
    assert not variants.search("खाली बेड की जानकारी")
    assert render("hi", "ivr.main.beds", key="2") == "खाली बेड की जानकारी के लिए 2 दबाएँ।"
    assert render("hi", "console.bed.general") == "सामान्य बेड"
    assert render("hi", "portal.hospital.beds") == "खाली बेड"


def test_the_language_and_pdf_checks_find_second_spellings_only():
    hindi, pdf = ONE_WORD_EVERYWHERE["हिन्दी (Hindi)"], ONE_WORD_EVERYWHERE["PDF"]
    for other in ("हिंदी", "हिंदि", "हिन्दि", "हिदी", "हिन्\u200dदी", "कार्ड हिंदी में"):
        assert hindi.search(other), other
    for right in ("हिन्दी", "हिन्दी में PDF", "हिंदुस्तान", "हिदायत"):
        assert not hindi.search(right), right
    for other in ("पीडीएफ़", "पीडीएफ", "पी.डी.एफ़.", "पी डी एफ", "a pdf", "Pdf"):
        assert pdf.search(other), other
    for right in ("कार्ड PDF (हिन्दी)", "तस्वीर (PNG)", "card.pdf."):
        assert not pdf.search(right), right


def test_the_nukta_check_tells_spellings_apart():
    assert _without_nukta("ख़त्म") == _without_nukta("खत्म") == "खत्म"
    assert _without_nukta("ख़त्म") != "ख़त्म"


# An OPD has appointments, not bus seats: people read and hear "appointment", "place",
# "fully booked" («अपॉइंटमेंट», «जगह», «बुकिंग पूरी है»), never "seat" or «सीट».
# Code may keep its names (take_seat, seats_free); only the words shown or said are checked.
SEAT_WORDS = {"en": re.compile(r"\bseats?\b", re.IGNORECASE), "hi": re.compile(r"सीट")}


def test_no_message_says_seat():
    said = {lang: sorted(k for k, v in catalogs()[lang].items() if SEAT_WORDS[lang].search(v))
            for lang in LANGUAGES}
    assert said == {"hi": [], "en": []}


def test_the_seat_check_finds_the_word_and_only_the_word():
    assert SEAT_WORDS["en"].search("Every Seat on Monday is taken.")
    assert SEAT_WORDS["en"].search("2 seats free")
    assert not SEAT_WORDS["en"].search("Please be seated; seating is limited.")
    assert SEAT_WORDS["hi"].search("1 सीट खाली") and SEAT_WORDS["hi"].search("सीटें")
    assert not SEAT_WORDS["hi"].search("कुछ ही जगह बची है")


# "Free beds" in Delhi are the beds of the free-treatment scheme for poorer patients, not
# the beds no one occupies: availability is "vacant" (beds) or "available" (ventilators),
# «खाली» in Hindi, never «मुफ़्त» or «फ्री». "Free" stays for what is not a hospital's
# resource ("the next free time", "an agent is free").
FREE_ABOUT_BEDS = {
    "en": (re.compile(r"\bfree\b", re.IGNORECASE),
           re.compile(r"\b(beds?|ventilators?|ICU|oxygen)\b", re.IGNORECASE),
           re.compile(r"\bfree,? (out )?of\b", re.IGNORECASE)),  # "3 free of 10": a count
    "hi": (re.compile(r"मुफ़्त|मुफ्त|फ़्री|फ्री"), re.compile(r"बेड|वेंटिलेटर|आईसीयू|ऑक्सीजन"),
           re.compile(r"(मुफ़्त|मुफ्त|फ़्री|फ्री),? कुल")),
}


def _says_free_about_beds(lang: str, text: str) -> bool:
    """A sentence of ``text`` calls beds or ventilators free, or counts what is free
    out of a total. Placeholders (``{free}``) are names in code, not words read."""
    free, resource, count = FREE_ABOUT_BEDS[lang]
    words = re.sub(r"\{[^}]*\}", " ", text)
    if count.search(words):
        return True
    return any(free.search(s) and resource.search(s) for s in re.split(r"[.!?।]", words))


def test_beds_and_ventilators_are_vacant_never_free():
    said = {lang: sorted(k for k, v in catalogs()[lang].items() if _says_free_about_beds(lang, v))
            for lang in LANGUAGES}
    assert said == {"hi": [], "en": []}


def test_the_free_beds_check_finds_availability_and_only_availability():
    for text in ("hear how many beds are free, or register a complaint",
                 "Citizens' portal: book an OPD appointment, free beds, complaints",
                 "Free ICU beds, ventilators and medicines.", "{vacant} free of {total}",
                 "free, out of {total}", "Ventilators: {free} free of {total}"):
        assert _says_free_about_beds("en", text), text
    for text in ("Here is the next free time.", "An agent is free and will be with you.",
                 "Cancel it? Its place is freed for someone else.",
                 "Ventilators: {free} of {total} available", "{vacant} of {total} vacant",
                 "Vacant beds: 3. Free times on Monday: 2."):
        assert not _says_free_about_beds("en", text), text
    assert _says_free_about_beds("hi", "मुफ़्त बेड") and _says_free_about_beds("hi", "फ्री, कुल 8 में से")
    assert not _says_free_about_beds("hi", "वेंटिलेटर: {total} में से {free} खाली")
    assert not _says_free_about_beds("hi", "खाली बेड। मुफ़्त इलाज योजना के बारे में पूछें।")
