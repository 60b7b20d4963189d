"""The call flow as a graph: the declaration checked on its own, then walked through the
app's webhooks in Hindi and English, pressing every key at every menu reached."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import xml.etree.ElementTree as ET
from collections import Counter, deque
from urllib.parse import parse_qs, urlsplit

import pytest

from booking_core.appointments import Channel, book_appointment
from grievances.services import register_grievance
from helpline.app import create_app
from ivr.devphone import heard_text
from ivr.engine import ACTION_PREFIX, FLOW, Input
from locales import LANGUAGES, catalogs, placeholders, render
from tests.conftest import make_settings
from tests.factories import make_slot
from tests.fixtures_ivr import CALLER, Phone, agent_hours_excluding_now, build_world

KEYPAD = "0123456789*#"
ANNOUNCED = {
    "en": re.compile(r"press (star twice|\d|hash|star)\b|Number (\d):"),
    "hi": re.compile(r"(दो बार स्टार|\d|हैश|स्टार) दबाएँ|नंबर (\d):"),
}
BOTH_LANGUAGES = "both languages"
# Two stars are the main menu where a number is typed (# ends the number there).
KEY_WORDS = {"hash": "#", "star": "*", "हैश": "#", "स्टार": "*", "star twice": "**",
             "दो बार स्टार": "**"}
WRONG_KEY = {"en": "Sorry, that is not one of the choices.",
             "hi": "माफ़ कीजिए, यह विकल्प उपलब्ध नहीं है।"}
ENDS = {"Hangup", "Enqueue", "Dial", "Leave"}


def inbound() -> dict:
    return {name: node for name, node in FLOW.nodes.items() if node.flow == "inbound"}


def reachable(start: str) -> set[str]:
    seen, pending = {start}, [start]
    while pending:
        for target in FLOW.nodes[pending.pop()].targets():
            names = (FLOW.action_exits[target[len(ACTION_PREFIX):]]
                     if target.startswith(ACTION_PREFIX) else (target,))
            for name in names:
                if name not in seen:
                    seen.add(name)
                    pending.append(name)
    return seen


@pytest.fixture(scope="module", autouse=True)
def _declared():
    """The app factory imports the declaration and every module's steps and actions."""
    app = create_app(make_settings("sqlite://"))
    app.extensions["helpline"].engine.dispose()


ENTRIES = {"inbound": "voice", "grievance follow-up call": "followup",
           "agent callback call": "bridge.agent",
           "a waiting caller is routed to an agent": "queue.caller_joined",
           "waiting-list offer call": "offer"}


def test_every_declared_target_exists_and_every_node_is_reachable():
    nodes = FLOW.nodes
    for node in nodes.values():
        for target in node.targets():
            if target.startswith(ACTION_PREFIX):
                name = target[len(ACTION_PREFIX):]
                assert name in FLOW.actions, f"{node.name}: no code behind {target}"
                assert FLOW.action_exits.get(name), f"{target}: exits not declared"
                assert all(e in FLOW.nodes for e in FLOW.action_exits[name]), target
            else:
                assert target in FLOW.nodes, f"{node.name} leads to unknown {target}"
        for option in node.options:
            if option.when:
                assert option.when in FLOW.conditions, option
    assert set(ENTRIES) == {node.flow for node in nodes.values()}
    everywhere = set().union(*(reachable(entry) for entry in ENTRIES.values()))
    assert set(nodes) - everywhere == set()


def test_every_menu_handles_the_shared_keys_and_has_a_way_out():
    for node in FLOW.nodes.values():
        if not node.managed or node.input in (Input.NONE, Input.RECORDING):
            continue
        shared = node.shared()
        assert shared.get("*") == node.name and shared.get("0") == node.zero_to, node.name
        # "0" reaches a person: the queue, or the callback offer a typed number came from.
        assert node.zero_to in ("agent", "callback"), node.name
        if node.flow == "inbound" and node.name not in ("main", "language"):
            # Where a number is typed, # ends it: two stars are the way back.
            main = "**" if node.input is Input.NUMBER else "#"
            assert shared.get(main) == "main", node.name
        assert node.give_up in FLOW.nodes and node.give_up != node.name
        keys = [o.key for o in node.options]
        for key in set(keys):
            whens = [o.when for o in node.options if o.key == key]
            assert len(whens) == 1 or None not in whens, (node.name, key)
        # At most five choices read at once in the caller's language; beside them, at
        # most one sentence in the other language (the main menu's language switch).
        own = {o.key for o in node.options if not o.first_hearing_only and o.spoken_in is None}
        assert len(own) <= 5, node.name
        assert len({o.key for o in node.options if o.spoken_in == "other"}) <= 1, node.name


def test_every_option_is_a_whole_sentence_in_both_languages_with_its_key():
    cats = catalogs()
    for node in FLOW.nodes.values():
        for option in node.options:
            for lang in LANGUAGES:
                text = cats[lang][option.says]
                assert "key" in placeholders(text), (option.says, lang)
                assert text.rstrip().endswith(("।", ".")), (option.says, lang)


# Walking the webhooks ----------------------------------------------------------------

def node_of(app, root: ET.Element) -> tuple[str, str | None, str] | None:
    """The node a response is (by the URL it answers to), its variant and language."""
    from ivr.flow import STEPS, read_state

    redirect = root.find("Redirect")
    gather = root.find("Gather")
    url = (gather.get("action") if gather is not None else None) or (
        redirect.text if redirect is not None else None)
    if root.find("Record") is not None and redirect is not None:
        url = redirect.text
    if not url:
        return None
    parts = urlsplit(url)
    by_rule = {"/ivr" + s.rule: name for name, s in STEPS.items()}
    name = by_rule.get(parts.path)
    if name is None:
        return None
    with app.test_request_context():
        state = read_state(parse_qs(parts.query).get("s", [""])[0]) or {}
    # A menu whose options depend on the state (menu 4 after a complaint's status) is
    # another variant to walk.
    variant = state.get("f") or ("status heard" if state.get("hl") else None)
    if state.get("b"):  # before a language is known: said in both (Hindi first)
        variant = BOTH_LANGUAGES
    return name, variant, state.get("l", "hi")


def announced(lang: str, text: str) -> set[str]:
    return set(announcements(lang, text))


def announcements(lang: str, text: str) -> Counter[str]:
    """How many times each key is announced in ``text`` (said in ``lang``)."""
    found: Counter[str] = Counter()
    for match in ANNOUNCED[lang].finditer(text):
        word = match.group(1) or match.group(2)
        found[KEY_WORDS.get(word, word)] += 1
    return found


SAY_LANG = {"hi-IN": "hi", "en-IN": "en"}


def assert_no_key_announced_twice(root: ET.Element, where: object) -> None:
    """Each language's words of one answer announce a key at most once: a key said
    twice has two meanings, or one meaning said twice."""
    by_lang: dict[str, list[str]] = {}
    for say in root.iter("Say"):
        lang = SAY_LANG.get(say.get("language") or "")
        if lang:
            by_lang.setdefault(lang, []).append(heard_text(say))
    for lang, texts in by_lang.items():
        twice = {k: n for k, n in announcements(lang, " ".join(texts)).items() if n > 1}
        assert not twice, (where, lang, twice, " ".join(texts))


def said_by_language(root: ET.Element) -> dict[str, str]:
    """The words of one answer, by the language they are said in."""
    by_lang: dict[str, list[str]] = {}
    for say in root.iter("Say"):
        lang = SAY_LANG.get(say.get("language") or "")
        if lang:
            by_lang.setdefault(lang, []).append(heard_text(say))
    return {lang: " ".join(texts) for lang, texts in by_lang.items()}


def destination(app, root: ET.Element) -> tuple[str, str | None, str | None, dict[str, str]]:
    """Where an answer took the caller, to tell two keys' meanings apart: the menu it is
    (the greeting is the main menu while no language is known), its variant, its
    language (None when said in both: the same place as either half's), or how the
    call ended (the ambulance dialled, the queue entered, a goodbye); and what was said
    on the way, by language (a cancellation then the main menu is not the main menu)."""
    said = said_by_language(root)
    ends = [child.tag for child in root if child.tag in ENDS]
    if ends:
        return (f"ends with {ends[0]}", None, None, said)
    here = node_of(app, root)
    if here is None:
        return ("nowhere", None, None, said)
    name, variant, lang = here
    if variant == BOTH_LANGUAGES:
        variant, lang = None, None
    return ("main" if name == "language" else name, variant, lang, said)


def assert_each_choice_announced_once(root: ET.Element, places: dict[str, tuple],
                                      items: set[str], where: object) -> None:
    """Each language's words of one answer offer every choice with one key: two keys
    announced that lead to the same place, saying the same words, are one choice said
    twice (a retry's "to be called back, press 0" and "for the main menu, press hash"
    beside the callback offer's own "1" and "2"). ``places`` is where each key pressed
    here leads (``destination``); ``items`` the keys of a spoken list (items that lead
    to the same menu are different hospitals, departments or days)."""
    for lang, text in said_by_language(root).items():
        keys_by_place: dict[tuple, list[str]] = {}
        for key in announcements(lang, text):
            if key in items or key not in places:
                continue
            name, variant, said_in, said = places[key]
            place = (name, variant, said_in or lang, said.get(said_in or lang, ""))
            keys_by_place.setdefault(place, []).append(key)
        twice = {place[:3]: keys for place, keys in keys_by_place.items() if len(keys) > 1}
        assert not twice, (where, lang, twice, text)


def hash_key_sentences(lang: str) -> list[str]:
    """The sentences that announce ``#`` as a menu key ("For the main menu, press
    hash."): the declared options on ``#`` and the engine's own way back."""
    says = {"ivr.opt.main"} | {o.says for node in FLOW.nodes.values()
                               for o in node.options if o.key == "#"}
    hash_word = catalogs()[lang]["ivr.key.hash"]
    return [catalogs()[lang][key].format(key=hash_word) for key in sorted(says)]


def assert_hash_is_no_finish_key(root: ET.Element, where: object) -> None:
    """A gather whose words offer ``#`` as a key must not end on ``#`` (Twilio's default
    ``finishOnKey``): a lone ``#`` would arrive as no key at all. A number's gather ends
    on ``#`` as long as it offers no ``#`` key."""
    for gather in root.iter("Gather"):
        if "#" not in gather.get("finishOnKey", "#"):
            continue
        for say in gather.iter("Say"):
            lang = SAY_LANG.get(say.get("language") or "")
            if lang:
                text = heard_text(say)
                offered = [s for s in hash_key_sentences(lang) if s in text]
                assert not offered, (where, gather.get("finishOnKey", "#"), offered, text)


NEW_CALLERS = (f"+91981230{n:04d}" for n in range(10_000))


def replay(phone: Phone, path: list[tuple[str, dict[str, str]]]) -> None:
    """The answer at the end of ``path``: its last request carries the whole signed
    state, so it alone is sent again (the first prompt: a new caller's first call)."""
    # One call per path: a request sent again is Twilio's retry of it, and acts once.
    phone.call_sid = "CA" + hashlib.sha1(repr(path).encode()).hexdigest()[:32]
    if not path:
        phone.caller = next(NEW_CALLERS)
        phone.call()
        return
    phone.caller = CALLER
    url, params = path[-1]
    phone.post(url, **params)


def ends_within(phone: Phone, webhooks: int, act) -> int:
    """Webhooks until the call ends (a hang-up or a connection), repeating ``act``."""
    for count in range(1, webhooks + 1):
        assert phone.root is not None
        if phone.root.find("Record") is not None and phone.verbs()[-1] == "Redirect":
            phone.silence()
        else:
            act(phone)
        verbs = set(phone.verbs())
        if verbs & ENDS or not phone.verbs():
            return count
    raise AssertionError(f"still going after {webhooks} webhooks: {phone.said}")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_walk_every_menu_in_both_languages(database_url, ivr_session, lang):
    """Breadth first from the first prompt: at each menu reached, every key pressed.
    `9` dials the ambulance from every menu that takes one key. Each menu must say no
    `{placeholder}`, announce exactly the keys it takes (beyond
    `*`, `0` and `#`, which the retry prompt announces), end after at most three wrong
    keys or silences (a silent caller at the after-hours callback offer included), and
    every declared menu must be reached. Each menu, its retry after a wrong key and its
    retry after silence offer every choice with one key in each language: no two keys
    announced there lead to the same place."""
    world = build_world(ivr_session)
    book_appointment(ivr_session, slot_id=world.slots[2].id, phone=CALLER,
                     channel=Channel.PORTAL, language=lang)
    # A complaint of their own: its status is read out at menu 4, key 2.
    register_grievance(ivr_session, phone=CALLER, category="other", channel="sms",
                       description="No doctor in OPD", language=lang,
                       hospital_id=world.lok_nayak.id)
    # General Medicine's one day is full: its callers are offered the waiting list.
    make_slot(ivr_session, world.medicine, capacity=1, booked=1)
    # The walk books as it goes (the "book again" offer, confirms), and the day menu
    # leaves out days the caller then holds: Orthopaedics keeps days to offer.
    for days in range(4, 10):
        make_slot(ivr_session, world.ortho, starts_in=dt.timedelta(days=days))
    app = create_app(make_settings(database_url, agent_hours=agent_hours_excluding_now()))
    client = app.test_client()
    phone = Phone(client, session=ivr_session)
    seen: dict[tuple[str, str | None, str], list] = {}
    reached: set[str] = set()
    # The agent queue's wait music is a menu too (agents are off duty here, so the walk
    # would not enter the queue: its waitUrl is called as Twilio would).
    with app.test_request_context():
        from ivr.flow import step_url

        wait_url = step_url("queue.wait", {"l": lang})
    queue: deque[list[tuple[str, dict[str, str]]]] = deque(
        [[], [(wait_url, {"QueuePosition": "2"})]])
    while queue:
        path = queue.popleft()
        replay(phone, path)
        root = phone.root
        assert root is not None
        if root.find("Enqueue") is not None:
            reached.add("agent")
        if root.find("Dial") is not None:
            reached.add("emergency")
        assert_hash_is_no_finish_key(root, path[-1:])
        here = node_of(app, root)
        # The language menu and what follows it before a language is chosen are said in
        # Hindi then English: walked with the Hindi half's keys and checked in both.
        if here is not None and here[1] == BOTH_LANGUAGES:
            assert here[2] == "hi", here
            here = (here[0], BOTH_LANGUAGES, lang)
        if here is None or here in seen or (here[0] != "language" and here[2] != lang):
            continue
        seen[here] = path
        name = here[0]
        bilingual = name == "language" or here[1] == BOTH_LANGUAGES
        if bilingual:
            # Both halves are there, each in its own language.
            assert {s.get("language") for s in root.iter("Say")} == {"hi-IN", "en-IN"}, (
                name, phone.said)
        reached.add(name)
        said = phone.said
        assert "{" not in said and "}" not in said, (name, said)
        assert_no_key_announced_twice(root, name)
        if root.find("Record") is not None:
            rec = root.find("Record")
            queue.append([*path, (rec.get("action"), {
                "RecordingSid": "RE" + "7" * 32, "RecordingDuration": "7",
                "RecordingUrl": "https://api.twilio.com/Recordings/RE" + "7" * 32})])
            continue
        gather = root.find("Gather")
        if gather is None:
            continue
        action = gather.get("action")
        node = FLOW.nodes[name]
        spoken = " ".join(heard_text(s) for s in gather.iter("Say")
                          if s.get("language") == {"hi": "hi-IN", "en": "en-IN"}[
                              "hi" if bilingual else lang])
        handled = set()
        places: dict[str, tuple] = {}
        # The first hearing, then the retries after a wrong key and after silence.
        hearings: list[tuple[str, ET.Element]] = [("first hearing", root)]
        for key in KEYPAD:
            replay(phone, [*path, (action, {"Digits": key})])
            # Every answer to a key (a retry with its hints, a status then a menu).
            assert_no_key_announced_twice(phone.root, (name, key))
            assert_hash_is_no_finish_key(phone.root, (name, key))
            places[key] = destination(app, phone.root)
            if key == "9" and node.managed and node.input is not Input.NUMBER:
                # Every call opens with "in an emergency, press 9": it works in every
                # menu of the line that takes one key.
                dial = phone.root.find("Dial")
                assert dial is not None and dial.text == "102", (name, phone.said)
            if not phone.said.startswith(WRONG_KEY["hi" if bilingual else lang]):
                handled.add(key)
                if key != "*":
                    queue.append([*path, (action, {"Digits": key})])
            elif len(hearings) == 1:
                hearings.append((f"retry after {key}", phone.root))
        if node.managed and node.input is not Input.NUMBER:
            replay(phone, path)
            phone.silence()
            if destination(app, phone.root)[0] == destination(app, root)[0]:
                hearings.append(("retry after silence", phone.root))
            items = set("123458") - set(node.keys()) if node.is_list else set()
            for hearing, answer in hearings:
                assert_each_choice_announced_once(answer, places, items,
                                                  (name, here[1], hearing))
                # One apology per answer: a retry's reason apologises, the menu
                # repeated after it does not again.
                words = " ".join(heard_text(s) for s in answer.iter("Say"))
                assert words.count("माफ़ कीजिए") <= 1 and words.count("Sorry") <= 1, (
                    name, hearing, words)
        if node.input is Input.NUMBER:
            continue
        said_keys = announced("hi" if bilingual else lang, spoken)
        # The other language's own sentences (the language menu's English half, the main
        # menu's switch to the other language) announce keys too.
        other = "en" if bilingual or lang == "hi" else "hi"
        said_keys |= announced(other, " ".join(
            heard_text(s) for s in gather.iter("Say")
            if s.get("language") == {"hi": "hi-IN", "en": "en-IN"}[other]))
        assert said_keys <= handled, (name, said_keys - handled, spoken)
        unannounced = handled - said_keys - set(node.shared())
        if name == "queue.wait":  # Twilio's wait music, not a managed menu: * repeats it too
            unannounced -= {"*"}
        quiet = {o.key for o in node.options if o.first_hearing_only or o.said_when}
        assert unannounced <= quiet, (name, unannounced, spoken)
        if name == "queue.wait":
            # A queue keeps its callers: no tries; a key that leaves it must <Leave/>.
            for key in handled - {"*"}:
                replay(phone, [*path, (action, {"Digits": key})])
                assert phone.verbs() == ["Leave"], (key, phone.verbs())
            continue
        # Three wrong keys end at the declared exit; so does silence, without end.
        wrong = next(k for k in "9876543" if k not in handled)
        replay(phone, path)
        ends_within(phone, 8, lambda p, key=wrong: p.press(key))
        replay(phone, path)
        ends_within(phone, 10, lambda p: p.silence())
    declared = {n for n, node in inbound().items()
                if node.managed and node.input is not Input.NONE} | {"emergency"}
    # Only a caller whose number we cannot see is asked for one (test_ivr_rules).
    assert declared - reached == {"callback.number", "mine.booking"}, sorted(map(str, seen))
    assert "queue.wait" in reached
    # "0" at the greeting: the callback offer before a language is known, walked too.
    assert ("callback", BOTH_LANGUAGES, lang) in seen, sorted(map(str, seen))
    assert seen  # sanity: the walk started
    app.extensions["helpline"].engine.dispose()


def test_grievance_status_after_an_sms_reply_speaks_no_template(phone, ivr_world, ivr_session):
    from grievances.services import register_grievance
    from grievances.workflow import reply_to_citizen
    from tests.test_ivr_services import into_menu

    grievance = register_grievance(ivr_session, phone=CALLER, category="other", channel="sms",
                                   description="No doctor in OPD", language="hi",
                                   hospital_id=ivr_world.lok_nayak.id)
    reply_to_citizen(ivr_session, grievance.id, "action", actor="agent")
    into_menu(phone, "hi", "4")
    phone.press("2")  # the phone that filed it: no number to type
    assert " ".join(grievance.reference[:4]) in phone.said
    assert "अस्पताल इस पर कार्रवाई कर रहा है।" in phone.said
    assert "{" not in phone.said and "हेल्पलाइन:" not in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_reply_is_not_said_once_the_complaint_is_resolved_or_reopened(
        phone, ivr_world, ivr_session, lang):
    """"It has been resolved ... The hospital is taking action on it." took back the
    status in the next sentence: a resolution (or a reopening) supersedes a reply."""
    from grievances.services import register_grievance
    from grievances.workflow import reopen_grievance, reply_to_citizen, resolve_grievance
    from tests.test_ivr_services import into_menu

    action = {"hi": "अस्पताल इस पर कार्रवाई कर रहा है।",
              "en": "The hospital is taking action on it."}[lang]
    grievance = register_grievance(ivr_session, phone=CALLER, category="other", channel="sms",
                                   description="No doctor in OPD", language=lang,
                                   hospital_id=ivr_world.lok_nayak.id)
    reply_to_citizen(ivr_session, grievance.id, "action", actor="agent")
    resolve_grievance(ivr_session, grievance.id, "Doctor posted", actor="agent")
    into_menu(phone, lang, "4")
    phone.press("2")
    assert render(lang, "ivr.status.is_resolved") in phone.said
    assert action not in phone.said
    reopen_grievance(ivr_session, grievance.id, "Still no doctor", actor="citizen")
    phone.hang_up()
    phone.call_sid += "b"
    into_menu(phone, lang, "4")
    phone.press("2")
    assert render(lang, "ivr.status.is_reopened") in phone.said
    assert action not in phone.said
    reply_to_citizen(ivr_session, grievance.id, "action", actor="agent")  # a new reply
    phone.hang_up()
    phone.call_sid += "c"
    into_menu(phone, lang, "4")
    phone.press("2")
    assert action in phone.said


def test_a_retry_never_says_the_same_sentence_twice(ivr_app, ivr_world, ivr_session):
    """After a wrong key the hints follow the menu; one the menu already says (such as
    "for the main menu, press hash" after a booking) is not said again."""
    from tests.fixtures_ivr import Phone

    phone = Phone(ivr_app.test_client())
    phone.call()
    phone.press("2")
    phone.press("1")
    for key in ("2", "1", "1", "1", "1"):
        phone.press(key)
    assert "is booked" in phone.said
    phone.press("7")  # not a choice here
    sentences = [s.strip() for s in phone.said.split(".") if s.strip()]
    assert len(sentences) == len(set(sentences)), phone.said


@pytest.mark.parametrize(("holds", "lang"), [
    ("begun", "hi"), ("begun", "en"), ("skipped", "hi"), ("skipped", "en"), ("passed", "hi")])
def test_menu_four_list_announces_exactly_its_keys_whatever_it_holds(
        ivr_app, phone, ivr_session, holds, lang):
    """The walk above reaches the list once, with an appointment to cancel; here it
    holds only what has no key: an appointment whose time began, a skipped or a passed
    token ("go to the counter"). Each says the keys it takes (hear again, the main
    menu), each once, and no key it does not take; silence or wrong keys still end."""
    from tests.opd_factories import book, booking_time, opd_today
    from tests.test_cancel_offer import begin
    from tests.test_ivr_services import into_menu
    from tests.test_opd_skipped import passed_patient, skipped_patient

    if holds == "begun":
        slot = opd_today(ivr_session).slots[0]
        book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
        begin(ivr_session, slot)
    elif holds == "skipped":
        skipped_patient(ivr_session, CALLER, lang)
    else:
        passed_patient(ivr_session, CALLER)  # booked in Hindi
    into_menu(phone, lang, "4")
    phone.press("1")
    root = phone.root
    assert node_of(ivr_app, root) is not None and node_of(ivr_app, root)[0] == (
        "mine.appointments"), phone.said
    assert_no_key_announced_twice(root, holds)
    assert_hash_is_no_finish_key(root, holds)
    action = root.find("Gather").get("action")
    spoken = said_by_language(root)[lang]
    handled, places = set(), {}
    for key in KEYPAD:
        phone.post(action, Digits=key)
        places[key] = destination(ivr_app, phone.root)
        if not phone.said.startswith(WRONG_KEY[lang]):
            handled.add(key)
    said_keys = announced(lang, spoken)
    assert {"*", "#"} <= said_keys, spoken
    assert said_keys <= handled, (said_keys - handled, spoken)
    node = FLOW.nodes["mine.appointments"]
    assert handled - said_keys <= set(node.shared()), (handled - said_keys, spoken)
    assert_each_choice_announced_once(root, places, set("123458") - set(node.keys()), holds)
    phone.post(action, Digits="7")
    ends_within(phone, 8, lambda p: p.press("7"))
