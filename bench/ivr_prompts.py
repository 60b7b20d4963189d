"""How long the phone line keeps a caller listening: each flow walked in Hindi and
English with the dev phone (in-process, signed like Twilio, on the demo data), counting
the keys pressed after the language choice, the words heard and the seconds they take
at 2.2 words a second, up to the result (a booking or complaint number's first
reading; a digit counts as a word).

    .venv/bin/python -m bench.ivr_prompts

Flows: a first-time caller booking at Lok Nayak (by keys, paging through the list) on
the first day and time offered; the same caller booking again at their last hospital
and department;
a grievance; vacant beds at one hospital; a grievance's status by its number. Prints a
table and writes ``bench/results/ivr_prompts.json``; exits 1 when the Hindi first-time
booking takes more than 120 s of prompts or 7 keys, or a returning caller's booking more
than 60 s (``tests/test_ivr_prompt_time.py`` holds the same promises).
"""

from __future__ import annotations

import re
import secrets
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.support import save_results
from helpline.app import create_app
from helpline.demo_data import load_demo_data
from helpline.migrate import upgrade
from helpline.settings import Settings
from ivr.devphone import DevPhoneCall, signed_sender

WORDS_PER_SECOND = 2.2
BASE = "https://helpline.bench"
LANG_KEY = {"hi": "1", "en": "2"}


class Line:
    """The app in-process, and a dev phone per call."""

    def __init__(self, database_url: str) -> None:
        self.token = secrets.token_hex(16)
        settings = Settings(database_url=database_url, secret_key=secrets.token_hex(16),
                            public_base_url=BASE, twilio_auth_token=self.token,
                            twilio_account_sid="AC" + "0" * 32,
                            twilio_phone_number="+911140000000", agent_hours="00:00-00:00")
        self.app = create_app(settings)
        self.client = self.app.test_client()

    def call(self, caller: str, inputs: list[str]) -> dict[str, Any]:
        def post(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            reply = self.client.post(url[len(BASE):], data=params, headers=headers)
            return reply.status_code, reply.get_data(as_text=True)

        echoed: list[str] = []
        call = DevPhoneCall(signed_sender(self.token, post), BASE, from_phone=caller,
                            to_phone="+911140000000", inputs=iter(inputs), echo=echoed.append)
        call.run()
        # Up to the result's first reading (the number, when there is one).
        heard = list(call.heard)
        number = re.search(r"\d \d \d \d, \d \d \d \d", heard[-1])
        if number:
            heard[-1] = heard[-1][:number.end()]
        words = sum(len(line.split()) for line in heard)
        return {"inputs": inputs, "words": words,
                "seconds": round(words / WORDS_PER_SECOND), "heard": heard,
                "last_heard": call.heard[-1]}

    def hospital_keys(self, short_name: str) -> list[str]:
        """The keys that pick ``short_name`` from the hospital list (8 for each page)."""
        from ivr.flow import DIRECTORY

        with self.app.app_context():
            session = self.app.extensions["helpline"].session()
            snapshot = self.app.extensions[DIRECTORY].snapshot(session)
            session.close()
        names = [h.short_en for h in snapshot.hospitals]
        index = next(i for i, name in enumerate(names) if short_name in (name or ""))
        return ["8"] * (index // 5) + [str(index % 5 + 1)]


def flows(line: Line, lang: str) -> dict[str, Callable[[], dict[str, Any]]]:
    caller = f"+9198{secrets.randbelow(10**8):08d}"
    lok_nayak = line.hospital_keys("LNJP")
    first = LANG_KEY[lang]

    def first_booking() -> dict[str, Any]:
        # Language; book; Lok Nayak; first department, day and time; confirm.
        return line.call(caller, [first, "1", *lok_nayak, "1", "1", "1", "1"])

    def returning_booking() -> dict[str, Any]:
        # Known caller: book; the next free time in their last department (on a day
        # they hold no booking there), offered with the hospital and department.
        return line.call(caller, ["1", "1"])

    def grievance() -> dict[str, Any]:
        return line.call(caller, ["3", "3", "1", "rec:20"])

    def beds() -> dict[str, Any]:
        return line.call(caller, ["2", "1", "1"])

    return {"book, first call": first_booking, "book again, last hospital": returning_booking,
            "complaint": grievance, "vacant beds, one hospital": beds}


def keys_after_language(result: dict[str, Any], first_call: bool) -> int:
    inputs = result["inputs"][1:] if first_call else result["inputs"]
    return sum(1 for given in inputs if not given.startswith(("rec:", "~", "say:")))


def main() -> int:
    results: dict[str, Any] = {"words_per_second": WORDS_PER_SECOND, "flows": {}}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'prompts.sqlite3'}"
        upgrade(url)
        line = Line(url)
        with line.app.app_context():
            session = line.app.extensions["helpline"].session()
            load_demo_data(session)
            session.close()
        print(f"{'flow':32} {'lang':4} {'keys':>4} {'words':>5} {'seconds':>7}")
        for lang in ("hi", "en"):
            for name, walk in flows(line, lang).items():
                result = walk()
                result["keys"] = keys_after_language(result, name == "book, first call")
                results["flows"][f"{name} ({lang})"] = result
                print(f"{name:32} {lang:4} {result['keys']:>4} {result['words']:>5} "
                      f"{result['seconds']:>7}")
        line.app.extensions["helpline"].engine.dispose()
    save_results("ivr_prompts", results)
    # The promise: a first-time caller books in Hindi within 120 s of prompts, 7 keys.
    first = results["flows"]["book, first call (hi)"]
    again = [results["flows"][f"book again, last hospital ({lang})"] for lang in ("hi", "en")]
    kept = first["seconds"] <= 120 and first["keys"] <= 7
    return 0 if kept and all(a["seconds"] <= 60 for a in again) else 1


if __name__ == "__main__":
    sys.exit(main())
