"""/admin on the real server: roles, joint-operation scoping across two towns, every change audited, CSRF."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from yarl import URL

from madoguchi import keys
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.municipalities import Municipalities
from tests.support import LiveServer, booth_peer, make_settings, serve

PASSWORD = "correct horse battery"


class Admin:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, csrf: str) -> None:
        self.http, self.base_url, self.csrf = http, base_url, csrf

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.base_url + path) as resp:
            return resp.status, await resp.json() if resp.content_type == "application/json" else await resp.text()

    async def post(self, path: str, body: Any, *, csrf: str | None = None, **headers: str) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf, **headers}
        async with self.http.post(self.base_url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


@asynccontextmanager
async def signed_in(server: LiveServer, username: str) -> AsyncIterator[Admin]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(f"{server.base_url}/api/login", json={"username": username, "password": PASSWORD}) as resp:
            assert resp.status == 200, await resp.text()
            csrf = (await resp.json())["csrf_token"]
        yield Admin(http, server.base_url, csrf)


async def audit_actions(server: LiveServer) -> list[tuple[str, str, dict[str, Any]]]:
    entries = await AuditLog(server.app[keys.DATABASE]).recent()
    return [(e.actor, e.action, e.detail) for e in reversed(entries)]


async def two_towns(server: LiveServer) -> dict[str, str]:
    """Town A (shiomi) and town B (nagi), each with an admin, an agent and a booth; returns their ids."""
    ids = {
        "admin_a": await server.add_agent("admin-a", PASSWORD, role="admin", municipality="shiomi"),
        "admin_b": await server.add_agent("admin-b", PASSWORD, role="admin", municipality="nagi"),
        "agent_a": await server.add_agent("agent-a", PASSWORD, municipality="shiomi"),
        "agent_b": await server.add_agent("agent-b", PASSWORD, municipality="nagi"),
    }
    ids["booth_a"] = (await server.add_booth("A町ブース", municipality="shiomi"))[0]
    ids["booth_b"] = (await server.add_booth("B町ブース", municipality="nagi"))[0]
    await Municipalities(server.app[keys.DATABASE]).add_place(
        "b-post", municipality_id="nagi", name="B局", kind="post_office"
    )
    return ids


@pytest.mark.parametrize("role", ["agent", "supervisor"])
async def test_only_admins_get_the_page_and_the_api(live_server: LiveServer, role: str) -> None:
    await live_server.add_agent("someone", PASSWORD, role=role)
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.get(f"{live_server.base_url}/admin", allow_redirects=False) as resp,
    ):
        assert resp.status == 302 and resp.headers["Location"] == "/login"
    async with signed_in(live_server, "someone") as person:
        status, page = await person.get("/admin")
        assert status == 403 and "管理者だけ" in page and 'data-testid="page-message"' in page
        assert await person.get("/api/admin/state") == (
            403,
            {"error": {"code": "forbidden", "message": "only an admin may do this"}},
        )
        status, _ = await person.post("/api/admin/booths", {"name": "x", "municipality_id": "shiomi"})
        assert status == 403
    assert [a for _, a, _ in await audit_actions(live_server)] == []


async def test_an_admin_sees_and_changes_only_their_own_town(live_server: LiveServer) -> None:
    ids = await two_towns(live_server)
    async with signed_in(live_server, "admin-a") as admin:
        status, page = await admin.get("/admin")
        assert status == 200 and 'data-testid="admin-booths"' in page
        status, state = await admin.get("/api/admin/state")
        assert status == 200
        assert [m["id"] for m in state["municipalities"]] == ["shiomi"]
        assert [b["id"] for b in state["booths"]] == [ids["booth_a"]]
        assert sorted(s["username"] for s in state["staff"]) == ["admin-a", "agent-a"]
        assert state["places"] == []
        assert "B町" not in str(state) and "nagi" not in str(state)

        refused = [
            await admin.post(f"/api/admin/booths/{ids['booth_b']}/rename", {"name": "乗っ取り"}),
            await admin.post(f"/api/admin/booths/{ids['booth_b']}/revoke", {}),
            await admin.post(f"/api/admin/booths/{ids['booth_b']}/rotate", {}),
            await admin.post(f"/api/admin/booths/{ids['booth_a']}/move", {"place_id": "b-post"}),
            await admin.post("/api/admin/booths", {"name": "x", "municipality_id": "nagi"}),
            await admin.post("/api/admin/staff/agent-b/disable", {"disabled": True}),
            await admin.post("/api/admin/staff/agent-b/password", {}),
            await admin.post("/api/admin/staff/agent-b/update", {"role": "admin"}),
            await admin.post(
                "/api/admin/staff",
                {"username": "x", "role": "agent", "municipality_id": "nagi", "routes": ["*"], "languages": ["ja"]},
            ),
            await admin.post(
                "/api/admin/places", {"place_id": "p", "municipality_id": "nagi", "name": "p", "kind": "branch"}
            ),
        ]
        assert [status for status, _ in refused] == [404, 404, 404, 400, 404, 404, 404, 404, 404, 404]
        assert all(body["error"]["message"] for _, body in refused)
    booth_b = await live_server.app[keys.BOOTHS].get(ids["booth_b"])
    assert booth_b is not None and booth_b.name == "B町ブース" and not booth_b.revoked
    agent_b = await live_server.app[keys.ACCOUNTS].authenticate("agent-b", PASSWORD)
    assert agent_b is not None and agent_b.role == "agent"
    assert await audit_actions(live_server) == []


async def test_another_towns_usernames_and_place_ids_are_not_named_in_a_clash(live_server: LiveServer) -> None:
    """Session 13 (attack F3): usernames and place ids are unique across the deployment, and a clash used to say
    "a user named 'agent-b' already exists" to town A's admin. The answer now says only that the name cannot be
    used — the same for another town's name as for one's own — and nothing is made."""
    await two_towns(live_server)
    async with signed_in(live_server, "admin-a") as admin:
        clashes = [
            await admin.post(
                "/api/admin/staff",
                {"username": name, "role": "agent", "municipality_id": "shiomi", "routes": ["*"], "languages": ["ja"]},
            )
            for name in ("agent-b", "agent-a")
        ]
        assert [status for status, _ in clashes] == [409, 409]
        assert (
            clashes[0][1]
            == clashes[1][1]
            == {"error": {"code": "duplicate", "message": "this username cannot be used; please choose another"}}
        )
        status, body = await admin.post(
            "/api/admin/places", {"place_id": "b-post", "municipality_id": "shiomi", "name": "p", "kind": "branch"}
        )
        assert status == 409 and body["error"]["code"] == "duplicate_id" and body["error"]["field"] == "place_id"
        assert "b-post" not in body["error"]["message"] and "nagi" not in body["error"]["message"]
        status, state = await admin.get("/api/admin/state")
        assert status == 200 and state["places"] == [] and "agent-b" not in str(state)


async def test_a_joint_staff_member_is_shown_but_not_changed_by_one_town(live_server: LiveServer) -> None:
    await two_towns(live_server)
    await live_server.app[keys.ACCOUNTS].add_user(
        "joint", PASSWORD, role="agent", municipality_ids=["shiomi", "nagi"], routes=["*"], languages=["ja"]
    )
    async with signed_in(live_server, "admin-a") as admin:
        _, state = await admin.get("/api/admin/state")
        [joint] = [s for s in state["staff"] if s["username"] == "joint"]
        assert joint["changeable"] is False
        status, body = await admin.post("/api/admin/staff/joint/disable", {"disabled": True})
        assert status == 403 and body["error"]["code"] == "other_municipality"
        status, body = await admin.post("/api/admin/staff/admin-a/disable", {"disabled": True})
        assert status == 400 and body["error"]["code"] == "self"


async def test_every_booth_action_works_and_is_audited(live_server: LiveServer) -> None:
    ids = await two_towns(live_server)
    await Municipalities(live_server.app[keys.DATABASE]).add_place(
        "a-post", municipality_id="shiomi", name="A局", kind="post_office"
    )
    async with signed_in(live_server, "admin-a") as admin:
        status, added = await admin.post(
            "/api/admin/booths", {"name": "新しいブース", "municipality_id": "shiomi", "place_id": "a-post"}
        )
        assert status == 201
        booth_id = added["booth"]["id"]
        assert added["url"].startswith(f"{live_server.base_url}/booth/{booth_id}#token=")
        assert added["qr"].startswith("data:image/svg+xml")
        token = added["url"].split("#token=")[1]
        peer = await booth_peer(live_server, token)  # the new kiosk URL really opens the booth
        await peer.close()

        # ux7 item 7: a second booth of the same name (full-width, spaced alike) is refused beside the name field
        for same in ("新しいブース", " 新しい ブース "):
            status, body = await admin.post("/api/admin/booths", {"name": same, "municipality_id": "shiomi"})
            assert status == 409 and body["error"]["code"] == "duplicate_name", body
            assert body["error"]["field"] == "name"
        status, body = await admin.post(f"/api/admin/booths/{booth_id}/rename", {"name": "A町ブース"})
        assert status == 409 and body["error"]["code"] == "duplicate_name", body
        status, renamed = await admin.post(f"/api/admin/booths/{booth_id}/rename", {"name": "改名ブース"})
        assert status == 200 and renamed["booth"]["name"] == "改名ブース"
        status, moved = await admin.post(f"/api/admin/booths/{booth_id}/move", {"place_id": None})
        assert status == 200 and moved["booth"]["place_id"] is None
        status, rotated = await admin.post(f"/api/admin/booths/{booth_id}/rotate", {})
        assert status == 200 and rotated["url"] != added["url"]
        booths = live_server.app[keys.BOOTHS]
        assert await booths.by_token(token) is None
        assert await booths.by_token(rotated["url"].split("#token=")[1]) is not None
        status, revoked = await admin.post(f"/api/admin/booths/{booth_id}/revoke", {})
        assert status == 200 and revoked["booth"]["revoked"] is True
        status, body = await admin.post(f"/api/admin/booths/{booth_id}/rotate", {})
        assert status == 400 and "revoked" in body["error"]["message"]
        status, place = await admin.post(
            "/api/admin/places",
            {"place_id": "a-branch", "municipality_id": "shiomi", "name": "A支所", "kind": "branch"},
        )
        assert status == 201 and place["place"]["id"] == "a-branch"

    actor = f"staff:{ids['admin_a']}"
    assert [(who, action) for who, action, _ in await audit_actions(live_server)] == [
        (actor, "booth.add"),
        (actor, "booth.rename"),
        (actor, "booth.move"),
        (actor, "booth.rotate_token"),
        (actor, "booth.revoke"),
        (actor, "place.add"),
    ]
    assert all("token" not in str(detail) for _, _, detail in await audit_actions(live_server))


async def test_a_place_named_in_other_languages_reaches_the_kiosk_and_is_audited(live_server: LiveServer) -> None:
    ids = await two_towns(live_server)
    await Municipalities(live_server.app[keys.DATABASE]).add_place(
        "a-post", municipality_id="shiomi", name="A局", kind="post_office"
    )
    _, token = await live_server.app[keys.BOOTHS].add("A局ブース", municipality_id="shiomi", place_id="a-post")
    names = {"en": "A Post Office", "vi": "Bưu điện A", "zh": ""}
    async with signed_in(live_server, "admin-a") as admin:
        status, body = await admin.post(
            "/api/admin/places/a-post/names", {"name": "A郵便局", "names": names, "reading": "A Yūbinkyoku"}
        )
        assert status == 200 and body["place"]["names"] == {"en": "A Post Office", "vi": "Bưu điện A"}
        _, state = await admin.get("/api/admin/state")
        assert [p["reading"] for p in state["places"]] == ["A Yūbinkyoku"]
        refused = [
            await admin.post("/api/admin/places/b-post/names", {"name": "乗っ取り"}),  # town B's place
            await admin.post("/api/admin/places/a-post/names", {"name": "x", "names": {"fr": "Poste"}}),
            await admin.post("/api/admin/places/a-post/names", {"name": " "}),
        ]
        assert [status for status, _ in refused] == [404, 400, 400]
        assert "fr" in refused[1][1]["error"]["message"]
    kiosk = await booth_peer(live_server, token)
    try:
        shown = (await kiosk.wait_for("booth.state"))["place_names"]
    finally:
        await kiosk.close()
    assert shown["ja"] == "A郵便局" and shown["en"] == "A Post Office" and shown["vi"] == "Bưu điện A"
    assert shown["zh"] == "A郵便局 (A Yūbinkyoku)" and shown["easy-ja"] == "A郵便局"  # no name: Japanese + reading
    [(actor, action, detail)] = await audit_actions(live_server)
    assert (actor, action) == (f"staff:{ids['admin_a']}", "place.rename")
    assert detail["before"] == {"name": "A局", "names": {}, "reading": ""}
    assert detail["after"]["names"]["vi"] == "Bưu điện A"


async def test_every_staff_action_works_and_is_audited(live_server: LiveServer) -> None:
    ids = await two_towns(live_server)
    accounts = live_server.app[keys.ACCOUNTS]
    async with signed_in(live_server, "admin-a") as admin:
        status, added = await admin.post(
            "/api/admin/staff",
            {
                "username": "new-agent",
                "display_name": "新人",
                "role": "agent",
                "municipality_id": "shiomi",
                "routes": ["tax", "family_register"],
                "languages": ["ja", "en"],
            },
        )
        assert status == 201 and added["staff"]["routes"] == ["tax", "family_register"]
        one_time = added["password"]
        assert isinstance(one_time, str) and len(one_time) >= 12
        assert await accounts.authenticate("new-agent", one_time) is not None

        status, changed = await admin.post(
            "/api/admin/staff/new-agent/update", {"role": "supervisor", "routes": ["*"], "languages": ["ja", "vi"]}
        )
        assert status == 200 and changed["staff"]["role"] == "supervisor"
        status, reset = await admin.post("/api/admin/staff/new-agent/password", {"password": "typed by admin"})
        assert status == 200 and reset["password"] is None
        assert await accounts.authenticate("new-agent", "typed by admin") is not None
        for weak in ("password", "12345678", "Shiomi2026"):  # session 16 (F5): all three were accepted
            status, refused = await admin.post("/api/admin/staff/new-agent/password", {"password": weak})
            assert status == 400, refused
            assert refused["error"]["code"] == "weak_password" and refused["error"]["field"] == "password"
        assert await accounts.authenticate("new-agent", "typed by admin") is not None
        status, reset = await admin.post("/api/admin/staff/new-agent/password", {})
        assert status == 200 and await accounts.authenticate("new-agent", reset["password"]) is not None
        status, _ = await admin.post("/api/admin/staff/new-agent/disable", {"disabled": True})
        assert status == 200 and await accounts.authenticate("new-agent", reset["password"]) is None

        status, body = await admin.post(
            "/api/admin/staff",
            {
                "username": "new-agent",
                "role": "agent",
                "municipality_id": "shiomi",
                "routes": ["*"],
                "languages": ["ja"],
            },
        )
        assert status == 409 and body["error"]["code"] == "duplicate"

    record = await accounts.by_username("new-agent")
    assert record is not None and record.routes == ("*",) and record.languages == ("ja", "vi")
    actor = f"staff:{ids['admin_a']}"
    log = await audit_actions(live_server)
    assert [(who, action) for who, action, _ in log] == [
        (actor, "user.add"),
        (actor, "user.update"),
        (actor, "user.password"),
        (actor, "user.password"),
        (actor, "user.disable"),
    ]
    assert all("typed by admin" not in str(detail) and one_time not in str(detail) for *_, detail in log)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "", "municipality_id": "shiomi"}, "name"),
        ({"name": "x"}, "municipality_id"),
        ({"name": "x", "municipality_id": "shiomi", "extra": 1}, "extra"),
        ({"name": "x", "municipality_id": "shiomi", "place_id": "nowhere"}, "nowhere"),
        ([1, 2], "body"),
    ],
)
async def test_bad_input_is_a_400_with_a_message_and_changes_nothing(
    live_server: LiveServer, body: Any, message: str
) -> None:
    await two_towns(live_server)
    async with signed_in(live_server, "admin-a") as admin:
        status, answer = await admin.post("/api/admin/booths", body)
        assert status == 400 and message in answer["error"]["message"]
        status, answer = await admin.post(
            "/api/admin/staff",
            {
                "username": "bad name!",
                "role": "agent",
                "municipality_id": "shiomi",
                "routes": ["nope"],
                "languages": ["ja"],
            },
        )
        assert status == 400 and "nope" in answer["error"]["message"]
        status, answer = await admin.post(
            "/api/admin/staff",
            {
                "username": "bad name!",
                "role": "agent",
                "municipality_id": "shiomi",
                "routes": ["*"],
                "languages": ["ja"],
            },
        )
        assert status == 400 and "username" in answer["error"]["message"]
        status, answer = await admin.post(
            "/api/admin/staff",
            {"username": "nolang", "role": "agent", "municipality_id": "shiomi", "routes": ["*"], "languages": []},
        )
        # ux6: the field is named, so the page says its sentence beside the language boxes, not at the top
        assert status == 400 and answer["error"]["field"] == "languages"
        async with admin.http.post(
            f"{live_server.base_url}/api/admin/booths", data="not json", headers={"X-CSRF-Token": admin.csrf}
        ) as resp:
            assert resp.status == 400 and "JSON" in (await resp.json())["error"]["message"]
    assert len(await live_server.app[keys.BOOTHS].list("shiomi")) == 1
    assert await audit_actions(live_server) == []


async def test_changes_without_the_csrf_token_or_from_another_site_are_refused(live_server: LiveServer) -> None:
    ids = await two_towns(live_server)
    async with signed_in(live_server, "admin-a") as admin:
        for status, body in (
            await admin.post(f"/api/admin/booths/{ids['booth_a']}/revoke", {}, csrf=""),
            await admin.post(f"/api/admin/booths/{ids['booth_a']}/revoke", {}, csrf="wrong"),
            await admin.post(f"/api/admin/booths/{ids['booth_a']}/revoke", {}, Origin="https://evil.example"),
        ):
            assert status == 403 and body["error"]["code"] == "csrf"
        same_site = await admin.post(
            f"/api/admin/booths/{ids['booth_a']}/rename", {"name": "ok"}, Origin=admin.base_url
        )
        assert same_site[0] == 200
    booth = await live_server.app[keys.BOOTHS].get(ids["booth_a"])
    assert booth is not None and not booth.revoked
    assert [action for _, action, _ in await audit_actions(live_server)] == ["booth.rename"]


async def test_a_kiosk_link_is_made_for_the_tablet_not_for_this_computer(tmp_path: Any) -> None:
    """The new booth's link pointed at http://localhost:8611/…, so a tablet that scanned it opened itself: it starts
    with MADOGUCHI_PUBLIC_URL when that is set, else with the address the admin's browser used (the Host header),
    and says when that address is this computer itself (the page then warns in words). A rotated token's link is
    made the same way; a public URL that is no http(s) address is refused at start."""
    public = "https://madoguchi.example.jp"
    async with serve(make_settings(tmp_path, public_url=public + "/")) as server:
        await server.add_agent("admin-a", PASSWORD, role="admin", municipality="shiomi")
        async with signed_in(server, "admin-a") as admin:
            status, added = await admin.post("/api/admin/booths", {"name": "港ブース", "municipality_id": "shiomi"})
            assert status == 201, added
            booth_id = added["booth"]["id"]
            assert added["url"].startswith(f"{public}/booth/{booth_id}#token=") and added["local"] is False
            status, rotated = await admin.post(f"/api/admin/booths/{booth_id}/rotate", {})
            assert status == 200 and rotated["url"].startswith(f"{public}/booth/") and rotated["local"] is False
    async with serve(make_settings(tmp_path / "other")) as server:
        await server.add_agent("admin-a", PASSWORD, role="admin", municipality="shiomi")
        async with signed_in(server, "admin-a") as admin:
            port = server.base_url.rsplit(":", 1)[1]
            for host, local in (
                (f"192.168.10.5:{port}", False),
                (f"localhost:{port}", True),
                (f"127.0.0.1:{port}", True),
            ):
                status, added = await admin.post(
                    "/api/admin/booths", {"name": f"ブース {host}", "municipality_id": "shiomi"}, Host=host
                )
                assert status == 201, added
                assert added["url"].startswith(f"http://{host}/booth/") and added["local"] is local, (host, added)
    for wrong in ("madoguchi.example.jp", "ftp://x.example.jp", "https://x.example.jp/?a=1"):
        with pytest.raises(ValueError):
            make_settings(tmp_path, public_url=wrong)


async def test_a_staff_members_name_in_latin_letters_is_given_changed_and_checked(live_server: LiveServer) -> None:
    """UX round 12: a Vietnamese resident read 「窓口 二葉」. An admin gives the name residents on a non-Japanese
    page read; a name that is not in Latin letters is a 400 with a message, and nothing changes."""
    await two_towns(live_server)
    async with signed_in(live_server, "admin-a") as admin:
        fields = {"role": "agent", "municipality_id": "shiomi", "routes": ["*"], "languages": ["ja"]}
        status, added = await admin.post(
            "/api/admin/staff", {"username": "futaba", "display_name": "窓口 二葉", "latin_name": "Futaba", **fields}
        )
        assert status == 201 and added["staff"]["latin_name"] == "Futaba"
        status, changed = await admin.post("/api/admin/staff/futaba/update", {"latin_name": "Futaba Madoguchi"})
        assert status == 200 and changed["staff"]["latin_name"] == "Futaba Madoguchi"
        status, refused = await admin.post("/api/admin/staff/futaba/update", {"latin_name": "二葉"})
        assert status == 400 and refused["error"]["message"] and refused["error"]["field"] == "latin_name"
    user = await live_server.app[keys.ACCOUNTS].by_username("futaba")
    assert user is not None and user.latin_name == "Futaba Madoguchi"
    updates = [d for _, action, d in await audit_actions(live_server) if action == "user.update"]
    assert [d["latin_name"] for d in updates] == ["Futaba Madoguchi"]  # the audit says what residents now read


async def test_a_refused_staff_field_is_named_so_the_page_says_why_beside_it(live_server: LiveServer) -> None:
    """Session 15: 「山田 花子」 as a username got only 「入力した 内容を 確かめてください。」 — storage refused it
    without naming the field. Each refusal now names its input (and an empty one, or a personal number, its own
    reason), so the page puts that field's sentence beside it."""
    await two_towns(live_server)
    fields = {"role": "agent", "municipality_id": "shiomi", "routes": ["*"], "languages": ["ja"]}
    async with signed_in(live_server, "admin-a") as admin:
        for body, code, field in [
            ({"username": "山田 花子", **fields}, "invalid_value", "username"),
            ({"username": "   ", **fields}, "required", "username"),
            ({"username": "123456789018", **fields}, "personal_number", "username"),
            (
                {"username": "hanako", "display_name": "マイナンバー 123456789018", **fields},
                "personal_number",
                "display_name",
            ),
            ({"username": "hanako", **fields, "role": "boss"}, "invalid_value", "role"),
            ({"username": "hanako", **fields, "password": "short"}, "invalid_payload", "password"),
        ]:
            status, refused = await admin.post("/api/admin/staff", body)
            assert status == 400 and refused["error"]["message"], (body, refused)
            assert (refused["error"]["code"], refused["error"].get("field")) == (code, field), (body, refused)
        status, refused = await admin.post(
            "/api/admin/places", {"place_id": "x", "name": "x", "kind": "castle", "municipality_id": "shiomi"}
        )
        assert status == 400 and refused["error"]["field"] == "kind", refused
    assert await live_server.app[keys.ACCOUNTS].by_username("hanako") is None


async def test_the_host_headers_port_does_not_make_the_kiosk_link(live_server: LiveServer) -> None:
    """Session 16 (F6): ``Host: 127.0.0.1:6666`` gave a kiosk link (and its QR, with the booth's token) to port
    6666. Without MADOGUCHI_PUBLIC_URL the link has the Host's (checked) name and the port the server listens on."""
    port = URL(live_server.base_url).port
    await two_towns(live_server)
    async with signed_in(live_server, "admin-a") as admin:
        status, added = await admin.post("/api/admin/booths", {"name": "ポートのブース", "municipality_id": "shiomi"})
        assert status == 201, added
        booth_id = added["booth"]["id"]
        for host in ("127.0.0.1:6666", "127.0.0.1"):
            status, odd = await admin.post(f"/api/admin/booths/{booth_id}/rotate", {}, Host=host)
            assert status == 200 and odd["url"].startswith(f"http://127.0.0.1:{port}/booth/"), odd["url"]
