"""Settings read once from the environment into an explicit, immutable object.

Nothing is read from ``os.environ`` anywhere else: tests build their own ``Settings``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_SQLITE_URL = f"sqlite:///{INSTANCE_DIR / 'helpline.sqlite3'}"
# The embedded default's own key, made once and shared by every process of this checkout.
INSTANCE_SECRET_FILE = INSTANCE_DIR / "secret_key"


def per_database(stem: str, database_url: str, suffix: str = "") -> Path:
    """A file or directory under ``instance/`` that belongs to one database:
    ``<stem><suffix>`` for the embedded default, ``<stem>-<digest of the URL><suffix>``
    for any other, so two deployments run from one checkout (``make run`` on SQLite and
    gunicorn on PostgreSQL, say) never read each other's."""
    if database_url == DEFAULT_SQLITE_URL:
        return INSTANCE_DIR / f"{stem}{suffix}"
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return INSTANCE_DIR / f"{stem}-{digest}{suffix}"


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names it and says what to do."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_SQLITE_URL
    redis_url: str | None = None
    # Prefix for every Redis key and RQ queue name, so several deployments or test
    # runs can share one Redis server without seeing each other's jobs.
    redis_namespace: str = "helpline"
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:5000"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_phone_number: str = ""
    twilio_api_base_url: str | None = None
    # Caller id for outbound calls to Indian numbers (India's voice rules); defaults to
    # the helpline's own number.
    twilio_caller_id: str = ""
    # The browser phone (agents taking calls in the console with Twilio's Voice
    # JavaScript SDK): an API key of the account signs the agents' short-lived access
    # tokens; the TwiML App answers calls a browser places (optional: without it the
    # browser phone only receives calls).
    twilio_api_key_sid: str = ""
    twilio_api_key_secret: str = ""
    twilio_twiml_app_sid: str = ""
    helpline_timezone: str = "Asia/Kolkata"
    port: int = 5000
    ambulance_number: str = "102"
    voice_hi: str = "Polly.Aditi"
    voice_en: str = "Polly.Aditi"
    # Booking rules a hospital sets.
    booking_window_days: int = 30
    slot_weeks_ahead: int = 5
    resource_stale_hours: float = 6.0
    # Agent service hours, local time, "HH:MM-HH:MM"; outside them callers get a callback.
    agent_hours: str = "08:00-20:00"
    # An expected agent-queue wait longer than this offers a callback before queueing.
    ivr_long_wait_seconds: int = 600
    # After a routed call ends, the agent is in wrap-up this long (or until they pick
    # a disposition) before the next caller is connected.
    wrap_up_seconds: int = 30
    # The service-level target the wallboard and reports hold the figure against:
    # this share of callers answered within this many seconds of joining the queue.
    service_level_target_percent: int = 80
    service_level_seconds: int = 30
    # How long a web process may reuse the hospital and department lists the IVR reads
    # (0: read them on every webhook).
    ivr_directory_ttl_seconds: float = 60.0
    sms_sender_id: str = "DLHHLP"
    sms_quiet_hours: str = "21:00-08:00"
    # DLT template ids, "template=id,template=id" (e.g. "otp_code=1107160000000000001").
    sms_dlt_template_ids: str = ""
    # Delivery: rows claimed per job, parallel Twilio requests per job, and how long a
    # claimed row belongs to its worker before reconciliation may look at it. Twilio
    # lets an account have 100 REST requests in flight by default and answers 429 above
    # that: keep workers x OUTBOX_SEND_CONCURRENCY under the account's limit.
    # The OPD day (booking_core/opd_day.py): the "turn is near" SMS this many tokens
    # ahead; walk-in counter tokens per department and day; no-show after a slot's end
    # plus this grace.
    opd_near_tokens: int = 3
    opd_counter_quota: int = 30
    opd_no_show_grace_minutes: int = 60
    # How long a freed seat is held for the person on the waiting list it is offered to.
    waiting_list_hold_minutes: int = 10
    outbox_batch_size: int = 100
    outbox_send_concurrency: int = 32
    outbox_lease_seconds: int = 120
    # A `flask worker` serving the messages queue also claims due outbox rows from the
    # database this often (seconds; 0: only when a job says so), so a row whose job was
    # never queued or failed is not left for the scheduler's 15 s sweep.
    outbox_poll_seconds: float = 1.0
    # Portal one-time codes.
    otp_ttl_seconds: int = 600
    otp_max_attempts: int = 5
    otp_per_number_per_hour: int = 5
    api_rate_limit_per_minute: int = 120
    # Web origins (scheme://host[:port]) whose pages may call /api/v1 from a browser,
    # comma-separated; empty: none. Never a wildcard.
    cors_allowed_origins: str = ""
    # How many proxies of ours stand in front of the app (load balancer, nginx): 0 means
    # clients connect directly and X-Forwarded-* headers are ignored; N means the Nth
    # address from the right of X-Forwarded-For is the client.
    trusted_proxies: int = 0
    max_request_bytes: int = 64 * 1024
    log_level: str = "INFO"
    # A hung dependency (README, "When the database or Redis hangs"): every web request
    # may wait on the database this long in all, then answers anyway (webhooks: the
    # apology; the API: 503). Kept well under Twilio's 15 s and under gunicorn's timeout.
    request_deadline_seconds: float = 6.0
    db_connect_timeout_seconds: int = 3
    db_statement_timeout_ms: int = 10_000
    db_tcp_user_timeout_ms: int = 10_000
    # After a database wait or connection fails that way, this process answers without
    # asking the database for this long (webhooks: the apology at once).
    db_pause_seconds: float = 5.0
    # Each Redis call's connect and read timeout; after a failure Redis counts as
    # missing for redis_pause_seconds (outbox rows are found in the database meanwhile).
    redis_timeout_seconds: float = 0.5
    redis_pause_seconds: float = 15.0
    # Where SMS and callback requests that arrive while the database is down wait for it
    # (helpline/spool.py); empty: spool/ under instance/, one per database.
    spool_dir: str = ""
    # Where each web worker writes its metric files (gunicorn.conf.py makes a fresh one per
    # start); /metrics then sums every worker's. Unset: counters are this process's own.
    prometheus_multiproc_dir: str | None = None
    # The eHealth card's QR signing key: 32 bytes in base64 (`flask ehealth-new-key`).
    # Unset: derived from SECRET_KEY (then changing SECRET_KEY voids every printed card).
    ehealth_signing_key: str = ""
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.trusted_proxies < 0:
            raise ValueError("TRUSTED_PROXIES is a number of proxies: 0 or more")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def spool_path(self) -> Path:
        return Path(self.spool_dir) if self.spool_dir else per_database("spool",
                                                                         self.database_url)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def helpline_number_to_call(self) -> str:
        """The number an SMS or prompt may tell people to call: the helpline's public
        phone number (``TWILIO_PHONE_NUMBER``), or "" when none is set (the text then
        says its sentence without a number). Never ``SMS_SENDER_ID``: a sender header
        such as DLHHLP cannot be dialled; and anything that is not a phone number at all
        counts as none."""
        number = self.twilio_phone_number.strip()
        digits = number.removeprefix("+")
        return number if digits.isdigit() and 6 <= len(digits) <= 15 else ""

    @property
    def browser_phone_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_api_key_sid
                    and self.twilio_api_key_secret)

    def with_overrides(self, **kwargs: Any) -> Settings:
        return replace(self, **kwargs)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``).

        Each field ``foo_bar`` is read from ``FOO_BAR``. A missing ``SECRET_KEY`` stays
        empty here: :func:`with_secret_key` decides whether that is allowed.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            if f.type in ("int",):
                values[f.name] = int(raw)
            elif f.type in ("float",):
                values[f.name] = float(raw)
            elif f.type in ("bool",):
                values[f.name] = _bool(raw)
            else:
                values[f.name] = raw
        if "port" in values and "public_base_url" not in values:
            values["public_base_url"] = f"http://127.0.0.1:{values['port']}"
        return cls(**values)


def resolve_secrets(settings: Settings, secret_file: Path = INSTANCE_SECRET_FILE) -> Settings:
    """``settings`` checked (the voices) and completed: its signing key and, on the
    embedded default without a Twilio account, a webhook token for the dev phone.

    The dev phone (``flask dev-phone``, ``make call``) signs its webhooks like Twilio.
    Without a Twilio account, ``make run`` and the dev phone of the same checkout derive
    the same token from the instance key, so a call to a running server is accepted;
    a real deployment sets ``TWILIO_AUTH_TOKEN`` and nothing is derived.

    Raises :class:`SettingsError` when ``SECRET_KEY`` is required and missing.
    """
    settings = with_secret_key(settings, secret_file)
    check_voices(settings)
    card_signing_key(settings)  # a malformed EHEALTH_SIGNING_KEY stops the start
    cors_origins(settings.cors_allowed_origins)
    if settings.is_sqlite and not settings.twilio_auth_token and not settings.twilio_account_sid:
        settings = replace(settings, twilio_auth_token=dev_webhook_token(settings.secret_key))
    return settings


def cors_origins(raw: str) -> frozenset[str]:
    """``CORS_ALLOWED_ORIGINS`` as a set of exact origins (``https://portal.example.in``).

    Raises :class:`SettingsError` for a wildcard or anything that is not a bare origin
    (a path, a query, no scheme): a browser compares the origin exactly, and a wildcard
    would let any site's script use a citizen's verification token."""
    origins = set()
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        scheme, sep, host = item.partition("://")
        if ("*" in item or not sep or scheme not in ("http", "https") or not host
                or any(ch in host for ch in "/?#@ ")):
            raise SettingsError(
                f"CORS_ALLOWED_ORIGINS: {item!r} is not an origin; list exact origins such as "
                "https://portal.example.in, comma-separated (no wildcard, no path)")
        origins.add(f"{scheme}://{host.lower()}")
    return frozenset(origins)


def check_voices(settings: Settings) -> None:
    """Refuse a ``VOICE_HI``/``VOICE_EN`` that cannot speak hi-IN/en-IN (SettingsError)."""
    from helpline.voices import voice_problem

    for setting, voice, language in (("VOICE_HI", settings.voice_hi, "hi-IN"),
                                     ("VOICE_EN", settings.voice_en, "en-IN")):
        problem = voice_problem(setting, voice, language)
        if problem:
            raise SettingsError(problem)


def card_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The key that signs eHealth cards' QR codes: ``EHEALTH_SIGNING_KEY``, else one
    derived from ``SECRET_KEY`` (see ``booking_core.card_seal``). SettingsError when
    the setting is malformed."""
    from booking_core.card_seal import derived_seed, parse_seed, signing_key

    if not settings.ehealth_signing_key:
        return signing_key(derived_seed(settings.secret_key))
    try:
        return signing_key(parse_seed(settings.ehealth_signing_key))
    except ValueError as exc:
        raise SettingsError(f"{exc}: make one with `flask ehealth-new-key`") from exc


def dev_webhook_token(secret_key: str) -> str:
    """The webhook token of a checkout without a Twilio account (see resolve_secrets)."""
    return hmac.new(secret_key.encode(), b"dev-phone webhooks", hashlib.sha256).hexdigest()


def with_secret_key(settings: Settings, secret_file: Path = INSTANCE_SECRET_FILE) -> Settings:
    """``settings`` with the key that signs sessions, IVR action URLs and portal tokens.

    Every web process must sign with the same key, or a call whose next webhook lands on
    another gunicorn worker is thrown back to the welcome menu. So: ``SECRET_KEY`` when
    set; for the embedded default (a SQLite database on this machine) one key made once
    in ``instance/secret_key`` and reused by every process and restart; otherwise
    :class:`SettingsError`, since a random key per process breaks calls and sign-ins.
    """
    if settings.secret_key:
        return settings
    if not settings.is_sqlite:
        raise SettingsError(
            "SECRET_KEY is not set: give every web, worker and scheduler process the same "
            "long random value (for example from `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`)"
        )
    return replace(settings, secret_key=_instance_secret(secret_file))


def _instance_secret(path: Path) -> str:
    """Read the key file, or write it once: written whole to a temporary file and linked
    into place, so processes starting together all read the one complete key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            os.chmod(temporary, 0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 32:
        raise SettingsError(f"{path.name} under instance/ is damaged: delete it to make a new key")
    return key
