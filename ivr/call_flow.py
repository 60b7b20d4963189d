"""Every menu of the phone line and of the calls it places, declared once.

The engine (``ivr.flow``) says each node's sentences and options and routes the keys
from this declaration; ``flask ivr-map`` draws it (``docs/IVR.md``); the graph test
walks it in both languages. Nodes whose words depend on data (lists of hospitals,
the read-back) add them in their module, but their keys and exits are declared here.

To add a menu: declare a ``Node`` here with its options (each a whole sentence in
``locales/*/LC_MESSAGES/ivr.po`` with a ``{key}`` slot), point an option of an existing
node at it, then run ``flask ivr-map`` and the tests.
"""

from __future__ import annotations

from ivr.engine import FIRST, Input, Node, Option, declare

ALL = ("*",)  # carry the whole of the node's state

declare(
    # The front door -------------------------------------------------------------
    Node("voice", "inbound", "incoming call", input=Input.NONE,
         leads_to=("language", "main")),
    Node("language", "inbound", "welcome, choose a language", languages=("hi", "en"),
         says=("ivr.language.welcome",), back_to_main=False, options=(
             Option("9", "ivr.opt.emergency", "do:emergency"),
             Option("1", "ivr.language.choose", "do:hindi", spoken_in="hi"),
             Option("2", "ivr.language.choose", "do:english", spoken_in="en"),
         )),
    Node("main", "inbound", "main menu", back_to_main=False, options=(
        Option("9", "ivr.opt.emergency", "do:emergency"),
        Option("1", "ivr.main.book", "do:start_booking"),
        Option("2", "ivr.main.beds", "beds"),
        Option("3", "ivr.main.grievance", "griev.category", carry=("lh",)),
        # Menu 4's first hearing on this visit says the places that ran out unanswered.
        Option("4", "ivr.main.mine", "mine", sets=((FIRST, 1),)),
        # In the other language's own words: the way back after a switch, and to a caller
        # whose language was remembered; not said right after choosing it at the
        # greeting (the key still works).
        Option("8", "ivr.main.switch_language", "do:switch_language", spoken_in="other",
               said_when="other_language_offered"),
    )),
    Node("emergency", "inbound", "ambulance line (dials it)", input=Input.NONE,
         webhook=False),
    Node("goodbye", "inbound", "goodbye (hangs up)", input=Input.NONE, webhook=False),

    # Beds ---------------------------------------------------------------------------
    Node("beds", "inbound", "vacant beds", options=(
        Option("1", "ivr.beds.one_hospital", "pick.hospital", sets=(("f", "beds"),)),
        Option("2", "ivr.beds.by_district", "beds.district"),
    )),
    Node("beds.district", "inbound", "choose a district", input=Input.KEYS_OR_NAME,
         says=("ivr.beds.district_heading",), list_to=("beds.result",)),
    Node("beds.result", "inbound", "vacant beds read out", on_silence="goodbye", options=(
        Option("1", "ivr.beds.another", "beds"),
        Option("#", "ivr.opt.main", "main"),
    )),

    # Hospitals (for booking, beds and grievances) -------------------------------------
    Node("pick.hospital", "inbound", "choose a hospital", input=Input.KEYS_OR_NAME,
         says=("ivr.pick.hospital_heading",),
         list_to=("book.department", "beds.result", "griev.record"), leads_to=("main",),
         options=(Option("7", "ivr.griev.no_hospital_key", "griev.record", carry=("g", "pm"),
                         when="for_grievance"),)),

    # Booking ------------------------------------------------------------------------
    # A caller who booked before is offered the next free time in the same department
    # (on a day they hold no booking there); "1" books it at once: the offer says what
    # is booked, as the read-back would.
    Node("book.again", "inbound", "returning caller: the next time, same place?", options=(
        Option("1", "ivr.book.again_today", "do:book", carry=ALL, when="offer_today"),
        Option("1", "ivr.book.again_tomorrow", "do:book", carry=ALL, when="offer_tomorrow"),
        Option("1", "ivr.book.again_later", "do:book", carry=ALL, when="offer_later"),
        Option("2", "ivr.book.again_other_time", "book.day", carry=("h", "dp")),
        Option("3", "ivr.book.again_other", "pick.hospital", carry=("lh",),
               sets=(("f", "book"),)),
    )),
    Node("book.department", "inbound", "choose a department", input=Input.KEYS_OR_NAME,
         list_to=("book.day",), leads_to=("pick.hospital",)),
    Node("book.day", "inbound", "choose a day", says=("ivr.book.day_heading",),
         list_to=("book.slot",), leads_to=("book.department", "book.full")),
    Node("book.full", "inbound", "every day full: join a day's waiting list?",
         leads_to=("book.department",), options=(
             Option("1", "ivr.wait.join", "do:join_waiting_list", when="caller_mobile"),
             Option("2", "ivr.book.change_department", "book.department", carry=("h",)),
         )),
    Node("book.slot", "inbound", "choose a time", input=Input.KEYS_OR_TIME,
         says=("ivr.book.slot_heading",), list_to=("book.confirm", "book.mobile"),
         leads_to=("book.day",)),
    Node("book.confirm", "inbound", "read-back: confirm?", options=(
        Option("1", "ivr.book.confirm", "do:book"),
        Option("2", "ivr.book.change", "book.change", carry=ALL),
        Option("3", "ivr.book.someone_else", "book.patient", carry=ALL),
    )),
    Node("book.change", "inbound", "change what?", options=(
        Option("1", "ivr.book.change_hospital", "pick.hospital", sets=(("f", "book"),)),
        Option("2", "ivr.book.change_department", "book.department", carry=("h",)),
        Option("3", "ivr.book.change_day", "book.day", carry=("h", "dp")),
        Option("4", "ivr.book.change_patient", "book.patient", carry=ALL),
    )),
    Node("book.patient", "inbound", "who is the patient?", options=(
        Option("1", "ivr.book.patient_mobile", "book.mobile", carry=ALL),
        Option("2", "ivr.book.type_patient_abha", "book.abha", carry=ALL),
        Option("3", "ivr.book.patient_is_caller", "do:patient_is_caller", when="caller_mobile"),
        Option("4", "ivr.book.patient_card_option", "book.card", carry=ALL),
    )),
    Node("book.card", "inbound", "type an eHealth card number", input=Input.NUMBER, digits=11,
         says=("ivr.card.type_number",), leads_to=("book.confirm",)),
    Node("book.mobile", "inbound", "type a mobile number", input=Input.NUMBER, digits=14,
         says=("ivr.book.type_mobile", "ivr.book.type_mobile_hidden",
               "ivr.book.type_mobile_landline", "ivr.griev.type_mobile_hidden",
               "ivr.griev.type_mobile_landline"),
         leads_to=("book.confirm", "pick.hospital")),
    Node("book.abha", "inbound", "type an ABHA number", input=Input.NUMBER, digits=14,
         says=("ivr.book.type_abha",), leads_to=("book.mobile", "book.confirm")),
    Node("book.done", "inbound", "booked: booking number read twice", on_silence="goodbye",
         options=(
             Option("1", "ivr.book.hear_again", "book.number", carry=ALL),
             Option("#", "ivr.opt.main", "main"),
         )),
    Node("book.number", "inbound", "the booking number again", on_silence="goodbye", options=(
        Option("1", "ivr.book.hear_again", "book.number", carry=ALL),
        Option("#", "ivr.opt.main", "main"),
    )),

    # Grievances ---------------------------------------------------------------------
    Node("griev.category", "inbound", "complaint: what about?",
         says=("ivr.griev.category_heading",), list_to=("book.mobile", "pick.hospital")),
    Node("griev.record", "inbound", "record the complaint", input=Input.RECORDING,
         says=("ivr.griev.record",), leads_to=("griev.recorded",)),
    Node("griev.recorded", "inbound", "recording received", input=Input.NONE, managed=False,
         leads_to=("griev.done", "griev.record", "main")),
    Node("griev.done", "inbound", "registered: complaint number read twice",
         on_silence="goodbye", options=(
             Option("1", "ivr.griev.hear_again", "griev.number", carry=ALL),
             Option("#", "ivr.opt.main", "main"),
         )),
    Node("griev.number", "inbound", "the complaint number again", on_silence="goodbye",
         options=(
             Option("1", "ivr.griev.hear_again", "griev.number", carry=ALL),
             Option("#", "ivr.opt.main", "main"),
         )),

    # My appointments and complaint status -----------------------------------------------
    Node("mine", "inbound", "my appointments, complaint status", options=(
        # A place freed on a waiting list and held for this mobile (its offer call may
        # have been missed): said first, taken with one key while the hold lasts.
        Option("4", "ivr.mine.held_today", "do:take_held_place", when="held_today"),
        Option("4", "ivr.mine.held_tomorrow", "do:take_held_place", when="held_tomorrow"),
        Option("4", "ivr.mine.held_later", "do:take_held_place", when="held_later"),
        # A caller whose number we cannot see types a booking number, and only hears it.
        Option("1", "ivr.mine.appointments", "mine.appointments", when="caller_mobile"),
        Option("1", "ivr.mine.appointments_hear", "mine.appointments", when="number_hidden"),
        Option("2", "ivr.mine.grievance", "do:complaint_status", when="status_not_heard"),
        # After a complaint's status was read out, "2" is for another one, by its number.
        Option("2", "ivr.status.another", "do:complaint_status", when="status_heard"),
        Option("3", "ivr.mine.card", "mine.card"),
    )),
    # A caller whose number we cannot see types one; its appointments are then read out
    # only (cancelling needs the phone that booked, or the booking's SMS).
    # A number typed by anyone proves nothing; a booking number is sent only to the
    # patient and the phone that booked, so it is what a hidden caller types.
    Node("mine.booking", "inbound", "number hidden: type a booking number to hear it",
         input=Input.NUMBER, digits=8,
         says=("ivr.mine.type_booking", "ivr.mine.type_booking_landline"),
         leads_to=("mine.appointments",)),
    Node("mine.card", "inbound", "type an eHealth card number: its appointments",
         input=Input.NUMBER, digits=11, says=("ivr.card.type_number",), leads_to=("mine",)),
    # Whatever the list holds (items to cancel, only appointments whose time began, a
    # skipped or passed token's "go to the counter", a typed number's items that only
    # hear), its ways on are said: ``#`` here, and ``*`` to hear it again
    # (``ivr.mine``).
    Node("mine.appointments", "inbound", "today's and upcoming appointments",
         says=("ivr.mine.heading",), list_to=("mine.cancel",), leads_to=("mine", "mine.booking"),
         options=(Option("#", "ivr.opt.main", "main"),)),
    Node("mine.cancel", "inbound", "cancel this appointment?", options=(
        Option("1", "ivr.mine.cancel_yes", "do:cancel"),
        Option("2", "ivr.mine.cancel_keep", "mine.appointments"),
    )),
    Node("mine.grievance", "inbound", "type a complaint number", input=Input.NUMBER,
         digits=8, says=("ivr.status.type_reference",), leads_to=("mine",)),

    # People ---------------------------------------------------------------------------
    Node("agent", "inbound", "agent queue (or a callback offer)", input=Input.NONE,
         leads_to=("callback", "queue.wait", "queue.done")),
    Node("callback", "inbound", "callback offer", give_up="goodbye", leads_to=("agent",),
         options=(
             Option("1", "ivr.callback.take", "do:take_callback"),
             Option("2", "ivr.callback.keep_waiting", "agent", sets=(("anyway", True),),
                    when="may_keep_waiting"),
             Option("2", "ivr.callback.main", "main", when="callback_declines_to_main"),
         )),
    Node("callback.number", "inbound", "type a number to be called back on",
         input=Input.NUMBER, digits=14, says=("ivr.callback.type_number",),
         give_up="goodbye", leads_to=("goodbye",), zero_to="callback"),
    # Twilio's wait music (``<Enqueue waitUrl>``): a key leaves the queue (``<Leave/>``)
    # and the queue's action (``queue.done``) goes on to the exit it asked for. Silence
    # and other keys keep the caller waiting (there is no giving up in a queue).
    Node("queue.wait", "inbound", "waiting for an agent (a key leaves the queue)",
         managed=False, leads_to=("queue.wait",), options=(
             Option("9", "ivr.opt.emergency", "do:queue_to_emergency"),
             Option("1", "ivr.queue.callback_key", "do:queue_to_callback",
                    when="queue_callback"),
             Option("#", "ivr.opt.main", "do:queue_to_main"),
         )),
    Node("queue.done", "inbound", "left the queue", input=Input.NONE, managed=False,
         leads_to=("callback", "goodbye", "main", "emergency")),

    # Outbound: the follow-up call after a grievance is closed ----------------------------
    Node("followup", "grievance follow-up call", "was the problem solved?",
         back_to_main=False, give_up="followup.unanswered", options=(
             Option("1", "ivr.followup.solved", "do:followup_solved"),
             Option("2", "ivr.followup.not_solved", "do:followup_not_solved"),
         )),
    Node("followup.thanks", "grievance follow-up call", "thanks (hangs up)", input=Input.NONE,
         webhook=False),
    Node("followup.unanswered", "grievance follow-up call",
         "no answer: another call later (hangs up)", input=Input.NONE, webhook=False),

    # Outbound: a freed appointment offered to the first person on the day's waiting list
    Node("offer", "waiting-list offer call", "an appointment is free: take it?", back_to_main=False,
         give_up="offer.unanswered", options=(
             Option("1", "ivr.offer.take", "do:offer_take"),
             Option("2", "ivr.offer.decline", "do:offer_decline"),
         )),
    Node("offer.taken", "waiting-list offer call", "booked: booking number (hangs up)",
         input=Input.NONE, webhook=False),
    Node("offer.declined", "waiting-list offer call", "passed to the next person (hangs up)",
         input=Input.NONE, webhook=False),
    Node("offer.gone", "waiting-list offer call", "the offer had ended (hangs up)",
         input=Input.NONE, webhook=False),
    Node("offer.day_held", "waiting-list offer call",
         "already booked that day: passed to the next person (hangs up)",
         input=Input.NONE, webhook=False),
    Node("offer.unanswered", "waiting-list offer call",
         "no choice heard: passed to the next person (hangs up)", input=Input.NONE,
         webhook=False),

    # Outbound: calls that connect an agent (no keys: they say one thing and connect) ---
    Node("bridge.agent", "agent callback call", "agent answers: connecting the citizen",
         input=Input.NONE, webhook=False, says=("messaging.call.callback_connecting",),
         leads_to=("bridge.not_reached",)),
    Node("bridge.not_reached", "agent callback call", "the citizen did not answer (hangs up)",
         input=Input.NONE, webhook=False, says=("messaging.call.callback_not_reached",)),
    # Routing: a waiting caller is taken out of the queue and rings the agent routing
    # chose (``messaging.routing_calls``); words only, the calls connect.
    Node("queue.caller_joined", "a waiting caller is routed to an agent",
         "the caller hears an agent is joining; the agent's phone or browser rings",
         input=Input.NONE, webhook=False, says=("messaging.call.agent_joining",),
         leads_to=("queue.agent", "queue.empty", "route.goodbye", "queue.wait")),
    Node("queue.agent", "a waiting caller is routed to an agent",
         "the agent answers and hears a caller is joining", input=Input.NONE,
         webhook=False, says=("messaging.call.queue_connecting",)),
    Node("queue.empty", "a waiting caller is routed to an agent",
         "the agent answers after the caller hung up (hangs up)", input=Input.NONE,
         webhook=False, says=("messaging.call.caller_gone",)),
    Node("route.goodbye", "a waiting caller is routed to an agent",
         "the agent hung up: goodbye to the caller (hangs up)", input=Input.NONE,
         webhook=False, says=("messaging.call.agent_finished",)),

    actions={
        "followup_solved": ("followup.thanks",),
        "followup_not_solved": ("followup.thanks",),
        "offer_take": ("offer.taken", "offer.gone", "offer.day_held"),
        "join_waiting_list": ("main", "book.day"),
        "offer_decline": ("offer.declined", "offer.gone"),
        "emergency": ("emergency",),
        "hindi": ("main",),
        "english": ("main",),
        "switch_language": ("main",),
        "start_booking": ("book.again", "pick.hospital"),
        "book": ("book.done", "book.confirm", "book.day", "book.department"),
        "patient_is_caller": ("book.confirm",),
        "cancel": ("main", "mine.appointments"),
        "complaint_status": ("mine", "mine.grievance"),
        "take_held_place": ("book.done", "mine"),
        "take_callback": ("goodbye", "agent", "callback.number"),
        # Through <Leave/> and the queue's action (``queue.done``).
        "queue_to_emergency": ("emergency",),
        "queue_to_callback": ("goodbye",),
        "queue_to_main": ("main",),
    },
)
