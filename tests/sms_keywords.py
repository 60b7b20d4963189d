"""How citizens actually type the SMS keywords: the variants both the parser tests and
the webhook tests send. Each entry is (body, language of the reply to an unknown
number)."""

from __future__ import annotations

ZWSP, ZWJ, ZWNJ, BOM, SOFT_HYPHEN = "\u200b", "\u200d", "\u200c", "\ufeff", "\u00ad"
NBSP, IDEOGRAPHIC_SPACE, EM_SPACE, NARROW_NBSP = "\u00a0", "\u3000", "\u2003", "\u202f"


def full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (``ＳＴＯＰ``)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


OPT_OUT: list[tuple[str, str]] = [
    # Twilio's documented opt-out words, however they are typed.
    ("STOP", "en"), ("stop", "en"), ("Stop", "en"), ("sToP", "en"),
    ("stop.", "en"), (" Stop!!", "en"), ("STOP\n", "en"), ("STOP\r\n", "en"),
    ("\tstop ", "en"), ("'STOP'", "en"), ('"stop"', "en"), ("...stop...", "en"),
    ("STOP 🛑", "en"), ("🙏 stop", "en"), ("(stop)", "en"), ("stop?", "en"),
    (full_width("STOP"), "en"), (IDEOGRAPHIC_SPACE + "STOP" + IDEOGRAPHIC_SPACE, "en"),
    (NBSP + "stop" + NBSP, "en"), (EM_SPACE + "Stop" + NARROW_NBSP, "en"),
    (ZWSP + "STOP" + ZWSP, "en"), (BOM + "stop", "en"), ("S" + SOFT_HYPHEN + "TOP", "en"),
    ("STOPALL", "en"), ("stopall!", "en"), ("Stop all", "en"), ("STOP  ALL", "en"),
    ("UNSUBSCRIBE", "en"), ("unsubscribe.", "en"), (full_width("Unsubscribe"), "en"),
    ("CANCEL", "en"), ("cancel", "en"), ("Cancel.", "en"), (" CANCEL!!\n", "en"),
    ("END", "en"), ("end", "en"), ("End.", "en"), ("END\n", "en"),
    ("QUIT", "en"), ("quit", "en"), ("Quit!", "en"), (full_width("QUIT"), "en"),
    ("REVOKE", "en"), ("revoke", "en"), ("OPTOUT", "en"), ("opt-out", "en"),
    ("Opt out", "en"), ("OPT_OUT", "en"),
    # Hindi in Devanagari: बंद (and बन्द), रोकें, रोको and their phrases.
    ("बंद", "hi"), ("बंद।", "hi"), (" बंद ", "hi"), ("बंद!", "hi"), ("बन्द", "hi"),
    ("बंद करो", "hi"), ("बंद  करो।", "hi"), ("बंद करें", "hi"), ("बंद करे", "hi"),
    ("बंद कीजिए", "hi"), ("बंद कर दो", "hi"), ("बंद कर दें।", "hi"), ("बन्द करो", "hi"),
    ("बन्द करें", "hi"), ("रोकें", "hi"), ("रोकेँ", "hi"), ("रोको", "hi"), ("रोको!", "hi"),
    ("रोक दो", "hi"), ("रोक दें", "hi"), ("रोकिए", "hi"), ("मत भेजो", "hi"),
    ("मत भेजें।", "hi"), ("मैसेज बंद", "hi"), ("एसएमएस बंद", "hi"), ("रिमाइंडर बंद", "hi"),
    ("बंद" + ZWJ, "hi"), ("बन्" + ZWNJ + "द", "hi"), (IDEOGRAPHIC_SPACE + "बंद करो\n", "hi"),
    # Hindi as it is typed in Roman letters.
    ("band", "hi"), ("BAND", "hi"), ("Band.", "hi"), ("band karo", "hi"), ("BAND KARO", "hi"),
    ("band kro", "hi"), ("Band karein", "hi"), ("band karen", "hi"), ("band kare", "hi"),
    ("band kar do", "hi"), ("band kr do", "hi"), ("bandh", "hi"), ("Bandh karo!", "hi"),
    ("bandh kar do", "hi"), ("roko", "hi"), ("Rok do", "hi"), ("rokein", "hi"),
    ("roken", "hi"), ("mat bhejo", "hi"), ("message band", "hi"), ("SMS band", "hi"),
]

OPT_IN: list[tuple[str, str]] = [
    ("START", "en"), ("start", "en"), ("Start.", "en"), (" START!\n", "en"),
    (full_width("START"), "en"), ("YES", "en"), ("yes", "en"), ("Yes!", "en"),
    ("UNSTOP", "en"), ("unstop", "en"),
    ("शुरू", "hi"), ("शुरु", "hi"), ("शुरू।", "hi"), ("चालू", "hi"), ("शुरू करो", "hi"),
    ("शुरू करें", "hi"), ("चालू करो", "hi"), ("चालू करें।", "hi"), ("फिर से शुरू", "hi"),
    ("shuru", "hi"), ("Chalu", "hi"), ("chaalu", "hi"), ("shuru karo", "hi"),
    ("chalu karo", "hi"),
]

HELP: list[tuple[str, str]] = [
    ("HELP", "en"), ("help", "en"), ("Help?", "en"), ("INFO", "en"), ("info.", "en"),
    (full_width("HELP"), "en"),
    ("मदद", "hi"), ("मदद?", "hi"), ("सहायता", "hi"), ("जानकारी", "hi"), ("madad", "hi"),
    ("Sahayata", "hi"),
    # A reference command without its reference asks for it.
    ("रद्द", "hi"), ("रद्द।", "hi"), ("रद", "hi"), ("radd", "hi"), ("STATUS", "en"),
    ("status?", "en"), ("स्थिति", "hi"), ("cancel my appointment", "en"),
    ("cancel please", "en"), ("रद्द करो", "hi"),
]

# Near misses: none of them is an opt-out word, so none opts anybody out.
NOT_OPT_OUT: list[str] = [
    "STOP PLEASE", "please stop", "stop 12345674", "stops", "stopp", "STOP STOP",
    "unstoppable", "the end", "END OF MESSAGE", "quite", "bandwidth", "band baja",
    "बंद है?", "दुकान बंद", "रोकना", "hello", "cancel it", "can cel", "", "   ", "!!!",
    "🛑", "ЅТОР",  # Cyrillic look-alikes are not STOP
]
