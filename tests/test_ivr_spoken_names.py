"""Names said at the phone line's menus, on the demo data's real hospitals,
departments and districts: each option's own name (as the menu reads it, without its
commas, in either language) is taken without asking, a name is never confirmed as a
neighbour sharing one of its words, and options that fit alike are asked about."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.hospitals import Hospital, district_as_said
from booking_core.master_data import DELHI_DISTRICTS
from booking_core.resources import update_resources
from helpline.demo_data import DEPARTMENTS, HOSPITALS, load_demo_data
from tests.factories import make_department, make_hospital, make_schedule
from tests.fixtures_ivr import Phone

LANG_KEY = {"hi": "1", "en": "2"}
YOU_SAID = {"hi": "आपने {name} कहा।", "en": "You said {name}."}
STOP = {"hi": "।", "en": "."}
# Demo hospitals cover eight districts; one more in each of the other three.
MORE_HOSPITALS = [
    ("CPH", "Charak Palika Hospital", "चरक पालिका अस्पताल", "New Delhi"),
    ("KJH", "Kalkaji Hospital", "कालकाजी अस्पताल", "South East"),
    ("RTRM", "Rao Tula Ram Memorial Hospital", "राव तुला राम स्मारक अस्पताल", "South West"),
]


@pytest.fixture
def demo(ivr_session) -> None:
    load_demo_data(ivr_session, weeks=1)
    for code, en, hi, district in MORE_HOSPITALS:
        hospital = make_hospital(ivr_session, code=code, name_en=en, name_hi=hi,
                                 district=district, district_hi=DELHI_DISTRICTS[district])
        update_resources(ivr_session, hospital.id,
                         {"beds": {"general": {"total": 50, "occupied": 20}}}, source="test")


def menu_of(phone: Phone, lang: str, *keys: str, speech: str | None = None) -> str:
    """The action URL of the menu reached by ``keys`` (then ``speech``) after the
    language: posting to it again and again is the same menu answered each time."""
    phone.call()
    phone.press(LANG_KEY[lang])
    for key in keys:
        phone.press(key)
    if speech:
        phone.speak(speech)
    return phone.gather.get("action", "")


def answer(phone: Phone, action: str, words: str) -> str:
    phone.post(action, SpeechResult=words, Confidence="0.92")
    return phone.said


def without_commas(name: str) -> str:
    return name.replace(",", "")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_every_department_of_a_demo_hospital_is_taken_by_its_own_name(
        phone, demo, ivr_session, lang):
    """At DDU's department menu: "General Surgery" was confirmed as General Medicine,
    «बाल रोग» and «नाक कान गला» were not understood at all."""
    action = menu_of(phone, lang, "1", speech="DDU")
    assert phone.said.startswith("डीडीयू अस्पताल।" if lang == "hi" else "DDU Hospital.")
    for _, en, hi, _ in DEPARTMENTS:
        said_back = YOU_SAID[lang].format(name=hi if lang == "hi" else en)
        for words in {en, hi, without_commas(hi), without_commas(en).lower()}:
            said = answer(phone, action, words)
            assert said.startswith(said_back), (words, said)
            assert ("दिन चुनें" if lang == "hi" else "Choose a day") in said, (words, said)
    for words, name in [("surgery", "General Surgery"), ("ortho", "Orthopaedics"),
                        ("सर्जरी", "सामान्य सर्जरी"), ("हड्डी", "हड्डी रोग")]:
        if (lang == "hi") == name.isascii():
            continue
        assert answer(phone, action, words).startswith(YOU_SAID[lang].format(name=name))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_word_six_departments_share_is_not_confirmed_as_one_of_them(phone, demo, lang):
    action = menu_of(phone, lang, "1", speech="DDU")
    said = answer(phone, action, "रोग")
    assert ("हम वह नाम समझ नहीं पाए" if lang == "hi"
            else "we did not understand that name") in said, said
    assert "क्या आपने" not in said and "Did you say" not in said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_every_delhi_district_is_taken_by_its_own_name(phone, demo, ivr_session, lang):
    """"North West" was asked about as North, «उत्तर पूर्वी» as East; even «उत्तर
    पश्चिमी» said exactly was only asked about."""
    action = menu_of(phone, lang, "2", "2")  # beds, by district
    hospitals = ivr_session.scalars(select(Hospital)).all()
    assert len({h.district for h in hospitals}) == len(DELHI_DISTRICTS) == 11
    for en, hi in DELHI_DISTRICTS.items():
        mine = {h.short_name(lang) for h in hospitals if h.district == en}
        others = {h.short_name(lang) for h in hospitals if h.district != en} - mine
        for words in (en, hi):
            said = answer(phone, action, words)
            assert said.startswith(YOU_SAID[lang].format(name=district_as_said(en, hi, lang))), (
                words, said)
            assert all(f"{name}:" in said for name in mine), (words, said)
            assert not any(f"{name}:" in said for name in others), (words, said)


@pytest.mark.parametrize(("lang", "heard"), [
    ("en", [("North West", "North West"), ("north east", "North East"),
            ("north-west", "North West"), ("South East", "South East")]),
    ("hi", [("उत्तर पश्चिम", "North West"), ("उत्तर पूर्वी", "North East"),
            ("उत्तर पश्चिमी", "North West"), ("दक्षिण पश्चिम", "South West")]),
])
def test_a_district_sharing_a_word_is_not_asked_about_as_its_neighbour(
        phone, demo, lang, heard):
    action = menu_of(phone, lang, "2", "2")
    for words, district in heard:
        said = answer(phone, action, words)
        name = district_as_said(district, DELHI_DISTRICTS[district], lang)
        assert said.startswith(YOU_SAID[lang].format(name=name)), (words, said)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_every_demo_hospital_is_taken_by_its_names_as_recognisers_write_them(
        phone, demo, ivr_session, lang):
    action = menu_of(phone, lang, "1")
    by_code = {h.code: h for h in ivr_session.scalars(select(Hospital))}
    said_as = [(code, name) for code, en, hi, short_en, short_hi, *_ in HOSPITALS
               for name in {en, hi, short_en, short_hi}]
    said_as += [("GTB", "गुरू तेग बहादुर अस्पताल"), ("RGSSH", "राजीव गान्धी अस्पताल"),
                ("LNH", "L N J P hospital"), ("LNH", "एल एन जे पी अस्पताल"),
                ("LNH", "L.N.J.P."), ("BSA", "अंबेडकर अस्पताल"), ("DDU", "दीनदयाल उपाध्याय")]
    for code, words in said_as:
        said = answer(phone, action, words)
        assert said.startswith(by_code[code].short_name(lang) + STOP[lang]), (words, said)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_two_hospitals_that_fit_alike_are_asked_about_not_one_picked(
        phone, ivr_world, ivr_session, lang):
    for en, hi in [("Safdarjung Hospital", "सफ़दरजंग अस्पताल"),
                   ("Hindu Rao Hospital", "हिंदू राव अस्पताल")]:
        make_schedule(ivr_session, make_department(ivr_session, make_hospital(
            ivr_session, name_en=en, name_hi=hi, short_en=en, short_hi=hi,
            aliases=["Civil Hospital", "सिविल अस्पताल"])), weekday=0)
    action = menu_of(phone, lang, "1")
    for words in ("civil hospital", "सिविल अस्पताल"):
        said = answer(phone, action, words)
        assert said.startswith("यह नाम एक से ज़्यादा विकल्पों से मिलता है।" if lang == "hi"
                               else "That name fits more than one choice."), said
        assert "क्या आपने" not in said and "Did you say" not in said
        assert ("अस्पताल चुनें" if lang == "hi" else "Choose a hospital") in said
    phone.post(action, SpeechResult="Hindu Rao", Confidence="0.92")
    assert phone.said.startswith("हिंदू राव अस्पताल।" if lang == "hi" else "Hindu Rao Hospital.")
