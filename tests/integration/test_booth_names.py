"""Session 16: a booth's display name per page language. The Japanese name stays required (and the field every
existing client reads, ``name``); the others are optional and fall back to it. The admin page adds and renames with
them and says a refused one beside its own field (``names.<lang>``); the kiosk gets the name in every language
(``booth.state`` ``names``), the agent's console the ones given (``booth_names``, beside ``booth_name``)."""

from __future__ import annotations

from madoguchi import keys
from madoguchi.storage.municipalities import Municipalities
from tests.integration.test_admin_web import PASSWORD, audit_actions, signed_in
from tests.integration.test_supervisor import supervisor_peer
from tests.support import LiveServer, agent_peer, booth_peer, ok


async def test_an_admin_names_a_booth_per_language_and_kiosk_and_console_show_it(live_server: LiveServer) -> None:
    await live_server.add_agent("admin-a", PASSWORD, role="admin", municipality="shiomi")
    await live_server.add_agent("aoki", PASSWORD, municipality="shiomi")
    await live_server.add_agent("boss", PASSWORD, role="supervisor", municipality="shiomi")
    await Municipalities(live_server.app[keys.DATABASE]).add_place(
        "a-post", municipality_id="shiomi", name="汐見郵便局", kind="post_office"
    )
    async with signed_in(live_server, "admin-a") as admin:
        body = {
            "name": "汐見郵便局ブース",
            "names": {"en": "Shiomi Post Office booth", "vi": " Quầy Shiomi ", "zh": ""},
            "municipality_id": "shiomi",
            "place_id": "a-post",
        }
        status, added = await admin.post("/api/admin/booths", body)
        assert status == 201, added
        booth = added["booth"]
        assert booth["name"] == "汐見郵便局ブース", "the existing field keeps the Japanese name"
        assert booth["names"] == {"en": "Shiomi Post Office booth", "vi": "Quầy Shiomi"}, "an empty one is none"
        booth_id, token = booth["id"], added["url"].split("#token=")[1]
        _, state = await admin.get("/api/admin/state")
        [listed] = [b for b in state["booths"] if b["id"] == booth_id]
        assert listed["name"] == "汐見郵便局ブース" and listed["names"]["en"] == "Shiomi Post Office booth"

        kiosk = await booth_peer(live_server, token)
        shown = await kiosk.wait_for("booth.state")
        assert shown["name"] == "汐見郵便局ブース"
        assert shown["names"]["en"] == "Shiomi Post Office booth"
        assert shown["names"]["vi"] == "Quầy Shiomi"
        assert shown["names"]["zh"] == shown["names"]["ja"] == shown["names"]["easy-ja"] == "汐見郵便局ブース"

        agent = await agent_peer(live_server, "aoki", PASSWORD)
        ok(await kiosk.call("consultation.request", {"route": "tax"}))
        snapshot = await agent.wait_for("queue.snapshot", lambda m: bool(m["items"]))
        [item] = snapshot["items"]
        assert item["booth_name"] == "汐見郵便局ブース"
        assert item["booth_names"] == {"en": "Shiomi Post Office booth", "vi": "Quầy Shiomi"}
        watcher = await supervisor_peer(live_server, "boss")
        watched = await watcher.wait_for("supervisor.snapshot", lambda m: bool(m["queue"]))
        assert watched["queue"][0]["booth_names"]["en"] == "Shiomi Post Office booth"
        assert watched["queue"][0]["booth_name"] == "汐見郵便局ブース"
        await watcher.close()

        # renaming the Japanese name alone (as before session 16) keeps the others; with names, they are replaced
        status, renamed = await admin.post(f"/api/admin/booths/{booth_id}/rename", {"name": "汐見ブース"})
        assert status == 200 and renamed["booth"]["names"]["en"] == "Shiomi Post Office booth"
        status, renamed = await admin.post(
            f"/api/admin/booths/{booth_id}/rename", {"name": "汐見ブース", "names": {"en": "Shiomi booth"}}
        )
        assert status == 200 and renamed["booth"]["names"] == {"en": "Shiomi booth"}
        again = await booth_peer(live_server, token)
        assert (await again.wait_for("booth.state"))["names"]["en"] == "Shiomi booth"
        for peer in (kiosk, again, agent):
            await peer.close()
    audited = [(action, detail) for _, action, detail in await audit_actions(live_server)]
    assert ("booth.rename", {"booth_id": booth_id, "name": "汐見ブース", "names": {"en": "Shiomi booth"}}) in audited


async def test_a_refused_name_is_said_beside_its_own_language_and_changes_nothing(live_server: LiveServer) -> None:
    await live_server.add_agent("admin-a", PASSWORD, role="admin", municipality="shiomi")
    booth_id = (await live_server.add_booth("汐見ブース", municipality="shiomi"))[0]
    async with signed_in(live_server, "admin-a") as admin:
        path = f"/api/admin/booths/{booth_id}/rename"
        status, body = await admin.post(path, {"name": "汐見ブース", "names": {"en": "ok", "vi": "x" * 201}})
        assert status == 400 and body["error"]["code"] == "invalid_value", body
        assert body["error"]["field"] == "names.vi"
        status, body = await admin.post(path, {"name": "汐見ブース", "names": {"ko": "부스 1234 5678 9018"}})
        assert status == 400 and body["error"]["field"] == "names.ko", body
        assert body["error"]["code"] == "personal_number"
        status, body = await admin.post(path, {"name": "汐見ブース", "names": {"fr": "Cabine"}})
        assert status == 400 and body["error"]["field"] == "names", body
        status, body = await admin.post(path, {"name": " ", "names": {"en": "Shiomi booth"}})
        assert status == 400 and body["error"]["field"] == "name", "the Japanese name is required"
        status, body = await admin.post(
            "/api/admin/booths", {"name": "新ブース", "municipality_id": "shiomi", "names": {"en": "y" * 201}}
        )
        assert status == 400 and body["error"]["field"] == "names.en", body
        _, state = await admin.get("/api/admin/state")
    assert [(b["name"], b["names"]) for b in state["booths"]] == [("汐見ブース", {})]
