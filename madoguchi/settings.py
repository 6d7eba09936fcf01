"""Settings, read once from ``MADOGUCHI_*`` environment variables.

The server and every CLI command build the same :class:`Settings`, so a value set for ``madoguchi serve`` means
the same for ``madoguchi user add``. Nothing here has a network default: municipal networks are closed, so ICE
servers, TURN and the LLM are off until someone configures them.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IceServer(BaseModel):
    """One RTCIceServer entry as the browser's RTCPeerConnection takes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MADOGUCHI_", frozen=True, extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: a SQLite file in data_dir"
    )
    redis_url: str | None = Field(default=None, description="Redis URL; unset means in-process live state")
    redis_prefix: str = Field(
        default="madoguchi",
        pattern=r"^[A-Za-z0-9_.:\-]{1,64}$",
        description="key prefix and pub/sub channel: deployments sharing one Redis need different prefixes",
    )

    host: str = "127.0.0.1"
    port: int = 8080

    ice_servers: list[IceServer] = Field(default_factory=list, description="JSON list of RTCIceServer")
    turn_urls: list[str] = Field(default_factory=list, description="TURN urls that get REST API credentials")
    turn_secret: SecretStr | None = None
    turn_ttl_s: int = Field(default=3600, ge=60, le=86400)

    offer_timeout_s: float = Field(default=20.0, gt=0)
    grace_period_s: float = Field(default=30.0, ge=0)
    decline_cooldown_s: float = Field(
        default=15.0, ge=0, description="a declined offer does not ring the same agent again for this long"
    )
    default_handle_time_s: float = Field(default=360.0, gt=0)
    no_answer_wait_s: float = Field(
        default=900.0, gt=0, description="after this long waiting, the resident is offered a call-back or the phone"
    )
    overflow_after_s: float = Field(
        default=600.0,
        ge=0,
        description="after this long waiting, any agent of the town who speaks the case's language may take it "
        "(0: never); a municipality file's counter.overflow overrides it per route",
    )
    interpreter_after_s: float = Field(
        default=300.0,
        ge=0,
        description="after this long waiting for a speaker of the resident's language, agents of the route who do not "
        "speak it are offered the case too, with an interpreter (at once when no speaker on duty may take it); "
        "0: never (language-strict routing)",
    )
    service_level_s: float = Field(
        default=600.0, gt=0, description="a route whose longest wait is above this raises a supervisor's alarm"
    )
    thanks_screen_s: float = Field(
        default=60.0,
        ge=0,
        description="the booth's thank-you (and the one-tap rating) stays this long unless 「はじめに もどる」 is "
        "tapped (ux14: 8 s was too short to read it and choose)",
    )
    booth_still_waiting_s: float = Field(
        default=180.0,
        gt=0,
        description="a booth's waiting (or no-answer) screen untouched this long asks 「まだ お待ちですか？」 (ux13: a "
        "resident who walked away left their case on the kiosk for the next one)",
    )
    booth_still_waiting_answer_s: float = Field(
        default=60.0,
        gt=0,
        description="how long 「まだ お待ちですか？」 waits for an answer (a countdown on screen) before the case is "
        "cancelled as the resident leaving and the kiosk goes back to its start",
    )
    page_connect_timeout_s: float = Field(
        default=8.0,
        gt=0,
        le=60,
        description="a kiosk or console page drops a connection attempt (handshake, then the namespace's answer) "
        "that takes longer and tries again",
    )
    booth_resume_window_s: float = Field(
        default=600.0,
        ge=0,
        description="a booth whose link stayed down past the grace period (its call ended, or its place in line was "
        "given up) and comes back within this long takes the case up again: a cut call at the head of the line, a "
        "wait at its own place (the head if its turn came meanwhile); later it starts over. 0: never",
    )
    wrap_up_timeout_s: float = Field(
        default=1800.0,
        gt=0,
        description="an agent offline past the grace period has this long (from losing their link) to come back "
        "and finish a pending wrap-up; then the case is closed as 'other' with end_reason 'wrap_up_timeout'",
    )
    heartbeat_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="each process states its connections (heartbeat) and renews its liveness signal this often; a "
        "process 3 intervals overdue whose liveness signal ran out too is gone, with its connections",
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="shared by all processes of one deployment; signs the login form's CSRF cookie and the chat "
        "page's browser ids, and keys the hashes the database keeps of chat client ids (unset: a key made once and "
        "kept in data_dir/keys/at-rest.key)",
    )
    session_ttl_s: int = Field(default=12 * 3600, gt=0)
    cookie_secure: bool = False
    public_url: str | None = Field(
        default=None,
        description="the address residents' devices and booth tablets reach this server at (https://madoguchi.example"
        ".jp); links and QR codes made for another device (a new booth's kiosk link) start with it; default: the "
        "address the admin's browser used",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='JSON list of the host names requests may name in their Host header ("madoguchi.example.jp"; '
        '"*": any); a request naming another is refused with 400 before anything reads it (DNS rebinding). '
        "Always allowed besides: public_url's host, localhost and any IP address; default: only those",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="JSON list of reverse-proxy addresses whose X-Forwarded-For names the client (login throttle)",
    )
    resident_open_per_browser: int = Field(
        default=3,
        ge=1,
        description="open web chats (/resident) from one browser at a time (the chat page's signed id; a connection "
        "without one counts as its client address)",
    )
    resident_starts_per_browser: int = Field(
        default=10, ge=1, description="web chats one browser may start per resident_address_window_s"
    )
    resident_open_per_address: int = Field(
        default=30,
        ge=1,
        description="open web chats from one client address at a time, all its browsers together (many residents "
        "share one address behind a NAT)",
    )
    resident_starts_per_address: int = Field(
        default=100, ge=1, description="web chats one client address may start per resident_address_window_s"
    )
    resident_address_window_s: float = Field(default=600.0, gt=0)
    resident_browser_ids_per_address_per_hour: int = Field(
        default=20,
        ge=1,
        description="new browser ids the chat page gives one client address an hour (that many at once, refilled "
        "over the hour; shared through Redis when configured); past it a new browser gets none and is counted as "
        "its address, with the per-browser limits",
    )
    resident_open_per_municipality: int = Field(
        default=200, ge=1, description="open web chats in one municipality at a time"
    )
    resident_pressure_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="a town's open web chats are under pressure from this share of resident_open_per_municipality "
        "(then each client address gets resident_open_per_address_under_pressure)",
    )
    resident_open_per_address_under_pressure: int = Field(
        default=5,
        ge=1,
        description="open web chats from one client address while its town's are under pressure (a flood from a "
        "few addresses cannot fill the town)",
    )
    resident_open_per_network_under_pressure: int = Field(
        default=10,
        ge=1,
        description="open web chats from one IPv6 /48 while its town's are under pressure (one allocation's 65,536 "
        "/64s, each counted as an address, cannot fill the town)",
    )
    resident_idle_evict_s: float = Field(
        default=120.0,
        gt=0,
        description="at resident_open_per_municipality, a new web chat ends a chat with the bot whose resident "
        "wrote nothing for this long (longest idle first, after those of addresses over their share); chats "
        "waiting for or with a person are never ended",
    )
    resident_urgent_ahead_per_municipality: int = Field(
        default=3, ge=0, description="urgent web chats of one town put ahead of later booth residents at a time"
    )
    resident_connections_per_address: int = Field(
        default=50, ge=1, description="open /resident sockets from one client address at a time (per process)"
    )
    socket_unjoined_per_address: int = Field(
        default=30,
        ge=1,
        description="Engine.IO sessions one client address may hold in no Socket.IO namespace at once (per process); "
        "the next is refused 429 until one joins or closes",
    )
    socket_unjoined_total: int = Field(
        default=1000,
        ge=1,
        description="Engine.IO sessions all addresses may hold in no namespace at once (per process)",
    )
    socket_join_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="a session still in no namespace this long after opening (or leaving its last) is closed",
    )
    socket_connects_per_address_per_minute: int = Field(
        default=120,
        ge=1,
        description="Socket.IO namespace connects one client address may make a minute (half of it at once, per "
        "process); past it the connect is refused rate_limited and its session closed",
    )
    resident_lines_per_minute: int = Field(
        default=20,
        ge=1,
        description="chat lines one /resident connection may send a minute (half of it at once); checked before "
        "the line is read or masked, so a flood is refused cheaply (rate_limited)",
    )
    resident_lines_per_address_per_minute: int = Field(
        default=120,
        ge=1,
        description="chat lines all /resident connections of one client address may send a minute, together (in "
        "Redis for all processes when it is set, else per process; half of it at once, at most "
        "resident_line_burst_per_address)",
    )
    resident_line_burst_per_address: int = Field(
        default=10,
        ge=1,
        description="chat lines all /resident connections of one client address may send at once before the "
        "per-minute pace applies: a burst of long lines is CPU an anonymous client chooses (masking, session 13)",
    )
    login_attempts_per_address_per_minute: int = Field(
        default=60,
        ge=1,
        description="staff login attempts (right or wrong) one client address may make a minute, half of it at once; "
        "checked before the password is, so a burst of simultaneous guesses cannot make the server hash them all "
        "(429 too_many_attempts, like the throttle on failures)",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="serve /metrics and /readyz (and /healthz) on this port of the same host, not the main one",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="when set, /metrics and /readyz need 'Authorization: Bearer <token>'"
    )
    metrics_networks: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="JSON list of networks (CIDR) whose clients may read /metrics and /readyz without "
        "MADOGUCHI_METRICS_TOKEN (the client address as the login throttle sees it: behind a trusted proxy, the "
        "X-Forwarded-For client); default: loopback only. With a token set, the token is needed from everywhere",
    )
    http_header_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="a connection is closed when a request's headers are not all in within this many seconds of "
        "its opening or of its previous answer (slow-header clients); also how long an idle keep-alive lasts",
    )

    max_chat_length: int = Field(default=1000, gt=0)
    max_payload_bytes: int = Field(default=64 * 1024, gt=0)
    events_per_second: float = Field(default=30.0, gt=0)
    event_burst: int = Field(default=60, gt=0)

    kb_dir: Path | None = Field(
        default=None, description="folder with one <municipality_id>/ knowledge base each; default: the bundled sample"
    )

    llm_base_url: str | None = None
    llm_model: str = "default"
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=8.0, gt=0)

    timezone: str = Field(
        default="Asia/Tokyo",
        description="IANA zone of report dates, hours and exported times, unless the municipality file names one",
    )
    short_abandon_s: float = Field(
        default=10.0, ge=0, description="reports count residents who left sooner than this apart (short abandons)"
    )
    service_level_target_s: float = Field(default=120.0, gt=0, description="answer within this for service level")
    service_level_targets: dict[str, float] = Field(
        default_factory=dict, description='per-route targets as JSON, e.g. {"tax": 300}; others use the default'
    )
    retention_years: int = Field(
        default=5,
        ge=1,
        le=100,
        description="how long finished consultation records and transcripts are kept before `madoguchi records purge` "
        "deletes them, unless the municipality's municipality.yaml sets retention_years",
    )

    smtp_host: str | None = Field(default=None, description="the town's SMTP server for booking e-mails; unset: none")
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_from: str = "madoguchi@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False

    booking_requests_per_minute: float = Field(
        default=6.0, gt=0, description="anonymous bookings, moves and cancellations per client address"
    )
    booking_lookups_per_minute: float = Field(default=20.0, gt=0, description="booking code lookups per address")
    booking_creates_per_address_per_day: int = Field(
        default=20,
        gt=0,
        description="new anonymous bookings one client address may make a day (booking_desk.flood); an address may "
        "be a post office's Wi-Fi shared by many residents (5 before session 16)",
    )
    booking_creates_per_person_per_day: int = Field(
        default=3,
        gt=0,
        description="new anonymous bookings one person may make a day: the same contact (phone number, e-mail), or "
        "without one the same name from the same address (booking_desk.flood)",
    )
    booking_creates_per_hour: int = Field(
        default=30, gt=0, description="new anonymous bookings from all addresses together an hour (bursts of that many)"
    )
    booking_wrong_codes_per_minute: float = Field(
        default=120.0,
        gt=0,
        description="the backstop: wrong booking codes a minute across all addresses (and, separately, all booths), "
        "bursts of three minutes' worth; each address (5 a minute) and each /24 or IPv6 /48 (10 a minute) has its own "
        "budget first (booking_desk.guesses); when the backstop is spent, code look-ups pause until it refills",
    )
    callbacks_per_source_per_hour: int = Field(
        default=6,
        gt=0,
        description="call-back requests one booth, one resident chat session and (separately) one client address may "
        "leave an hour (bursts of that many); past it, rate_limited (signaling.callback_limits)",
    )
    callbacks_per_number_per_day: int = Field(
        default=3,
        gt=0,
        description="call-back requests one phone number may be left for a day, whoever leaves it (a repeat while "
        "one is still waiting is merged into it, and counts here too)",
    )
    booking_reminder_hours: float = Field(default=24.0, gt=0, description="e-mail reminders this long before")
    booking_wait_horizon_minutes: float = Field(
        default=30.0, ge=0, description="bookings starting within this many minutes count in walk-ins' wait estimates"
    )

    log_level: str = "INFO"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Tokyo") from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", value):
            raise ValueError(
                f"public_url must be an http:// or https:// address such as https://madoguchi.example.jp, not {value!r}"
            )
        return value

    @field_validator("service_level_targets")
    @classmethod
    def _positive_targets(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [route for route, seconds in value.items() if not seconds > 0]
        if bad:
            raise ValueError(f"service level targets must be more than 0 seconds: {', '.join(bad)}")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("MADOGUCHI_METRICS_TOKEN must be at least 16 characters (or unset)")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        names = [item.strip().lower().rstrip(".") for item in value if item.strip()]
        bad = [name for name in names if name != "*" and not re.fullmatch(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]", name)]
        if bad:
            raise ValueError(
                f"allowed_hosts takes host names without a scheme or port, such as madoguchi.example.jp, not {bad[0]!r}"
            )
        return names

    @field_validator("metrics_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(item.strip(), strict=False)) for item in value]

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_address(item.strip())) for item in value]

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'madoguchi.db').resolve()}"
