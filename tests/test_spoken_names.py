"""The spoken-name matcher on the demo data's real menus: every option is chosen by its
own whole name, in either script and as recognisers write it, and never taken for a
neighbour that shares one of its words."""

from __future__ import annotations

from booking_core.master_data import DELHI_DISTRICTS
from booking_core.spoken_names import match_spoken_name
from helpline.demo_data import DEPARTMENTS, HOSPITALS

SURE, HEARD = 1.0, 0.5  # ivr.choosers: taken without asking / asked about

DEPARTMENT_MENU = [(code, [en, hi, *aliases]) for code, en, hi, aliases in DEPARTMENTS]
DISTRICT_MENU = [(en, [en, hi]) for en, hi in DELHI_DISTRICTS.items()]
HOSPITAL_MENU = [(h[0], [h[1], h[2], h[3], h[4], *h[8]]) for h in HOSPITALS]


def heard(said: str, menu: list[tuple[str, list[str]]]) -> tuple[str, str | None]:
    """What a chooser does with ``said``: ("take", option) when sure and alone at the
    top, ("ask", option) for "did you say ...?", ("which", None) when two fit as well,
    ("none", None) when nothing fits."""
    ids = {n: option for n, (option, _) in enumerate(menu)}
    scores = match_spoken_name(said, [(n, names) for n, (_, names) in enumerate(menu)])
    if not scores or scores[0][1] < HEARD:
        return "none", None
    if len(scores) > 1 and scores[1][1] >= scores[0][1]:
        return "which", None
    return ("take" if scores[0][1] >= SURE else "ask"), ids[scores[0][0]]


def said_as_recognisers_write(name: str) -> set[str]:
    """The name as the menu reads it, without its commas and full stops, in lower case."""
    return {name, name.replace(",", ""), name.replace(",", "").replace(".", "").lower()}


def test_every_demo_department_is_taken_by_its_own_name_in_either_language():
    for code, en, hi, _ in DEPARTMENTS:
        for said in said_as_recognisers_write(en) | said_as_recognisers_write(hi):
            assert heard(said, DEPARTMENT_MENU) == ("take", code), said


def test_every_delhi_district_is_taken_by_its_own_name_in_either_language():
    for en, hi in DELHI_DISTRICTS.items():
        for said in {en, en.lower(), en.replace(" ", "-"), en.replace(" ", ""), hi}:
            assert heard(said, DISTRICT_MENU) == ("take", en), said


def test_every_demo_hospital_is_taken_by_its_names_as_recognisers_write_them():
    for code, en, hi, short_en, short_hi, *_ in HOSPITALS:
        for name in (en, hi, short_en, short_hi):
            for said in said_as_recognisers_write(name):
                assert heard(said, HOSPITAL_MENU) == ("take", code), said
    # Recognisers' other spellings of the same names.
    for said, code in [("गुरू तेग बहादुर अस्पताल", "GTB"), ("राजीव गान्धी अस्पताल", "RGSSH"),
                       ("अंबेडकर अस्पताल", "BSA"), ("अरुणा आसफ अली अस्पताल", "AAA"),
                       ("L N J P hospital", "LNH"), ("एल एन जे पी अस्पताल", "LNH"),
                       ("लोकनायक अस्पताल", "LNH"), ("दीनदयाल उपाध्याय", "DDU")]:
        assert heard(said, HOSPITAL_MENU) == ("take", code), said


SHARING_A_WORD = [
    ("General Surgery", DEPARTMENT_MENU, "surgery"),
    ("सामान्य सर्जरी", DEPARTMENT_MENU, "surgery"),
    ("general surgery please", DEPARTMENT_MENU, "surgery"),
    ("बाल रोग", DEPARTMENT_MENU, "paeds"),
    ("नाक कान गला", DEPARTMENT_MENU, "ent"),
    ("दंत रोग", DEPARTMENT_MENU, "dental"),
    ("North West", DISTRICT_MENU, "North West"),
    ("north east", DISTRICT_MENU, "North East"),
    ("South East", DISTRICT_MENU, "South East"),
    ("उत्तर पश्चिम", DISTRICT_MENU, "North West"),
    ("उत्तर पूर्वी", DISTRICT_MENU, "North East"),
    ("उत्तर पश्चिमी", DISTRICT_MENU, "North West"),
    ("दक्षिण पश्चिम", DISTRICT_MENU, "South West"),
]


def test_a_name_sharing_a_word_with_another_option_is_not_taken_for_it():
    for said, menu, meant in SHARING_A_WORD:
        assert heard(said, menu) == ("take", meant), said


SHARED_WORDS = [
    ("रोग", DEPARTMENT_MENU, ("none", None)),  # six departments are a «रोग»
    ("guru", HOSPITAL_MENU, ("none", None)),
    ("Gandhi", HOSPITAL_MENU, ("none", None)),  # Rajiv Gandhi or Sanjay Gandhi
    ("गांधी अस्पताल", HOSPITAL_MENU, ("none", None)),
]


def test_a_word_several_options_share_chooses_none_of_them():
    for said, menu, outcome in SHARED_WORDS:
        assert heard(said, menu) == outcome, said


def test_options_that_fit_alike_are_asked_about_never_one_picked():
    menu = [(f"T{n}", [f"Test Hospital {n}", f"परीक्षण अस्पताल {n}"]) for n in range(5)]
    menu += [("SJ", ["Safdarjung Hospital", "Civil Hospital"]),
             ("HR", ["Hindu Rao Hospital", "Civil Hospital"])]
    assert heard("civil hospital", menu) == ("which", None)
    assert heard("Test Hospital", menu) == ("none", None)
    assert heard("परीक्षण अस्पताल", menu) == ("none", None)
    assert heard("test hospital 3", menu) == ("take", "T3")
    assert heard("परीक्षण अस्पताल 3", menu) == ("take", "T3")


PARTS_AND_ALIASES = [
    ("surgery", DEPARTMENT_MENU, ("take", "surgery")),
    ("ortho", DEPARTMENT_MENU, ("take", "ortho")),
    ("orthopedic", DEPARTMENT_MENU, ("take", "ortho")),  # the start of a name's word
    ("आँख", DEPARTMENT_MENU, ("take", "eye")),
    ("आंख", DEPARTMENT_MENU, ("take", "eye")),
    ("Ear Nose", DEPARTMENT_MENU, ("take", "ent")),
    ("general", DEPARTMENT_MENU, ("take", "medicine")),  # General Medicine's own alias
    ("उत्तर", DISTRICT_MENU, ("take", "North")),  # «उत्तरी» without its vowel sign
    ("LNJP", HOSPITAL_MENU, ("take", "LNH")),
    ("L.N.J.P.", HOSPITAL_MENU, ("take", "LNH")),
    ("shastri", HOSPITAL_MENU, ("take", "LBS")),  # an alias; Shastri Park is not it
    ("Guru Teg", HOSPITAL_MENU, ("ask", "GTB")),
    ("दिल्ली", DISTRICT_MENU, ("ask", "New Delhi")),
    ("pizza delivery", HOSPITAL_MENU, ("none", None)),
]


def test_partial_names_aliases_and_acronyms():
    for said, menu, outcome in PARTS_AND_ALIASES:
        assert heard(said, menu) == outcome, said
