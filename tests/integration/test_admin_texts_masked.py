"""Texts an admin types (a staff member's display name, a booth's name and location, a place's name) are free text
too: a personal number typed there is masked before it is stored, shown to residents or put in the live state,
and the admin sees the mask in the answer (red team, issue 9). A 個人番号 in a name (not a location) is refused
instead (session 11: names are listed in exports and on every screen)."""

from __future__ import annotations

from madoguchi import keys
from madoguchi.domain.privacy import MY_NUMBER_MASK, PHONE_MASK, my_number_check_digit
from tests.integration.test_admin_web import PASSWORD, signed_in
from tests.integration.test_pii_everywhere import search_database
from tests.pii import Leaks, Sample
from tests.support import LiveServer

MY_NUMBER = "98765432101" + str(my_number_check_digit("98765432101"))
PHONE = "09087654321"


async def test_admin_entered_texts_are_masked(live_server: LiveServer) -> None:
    await live_server.add_agent("admin-a", PASSWORD, role="admin", municipality="shiomi")
    async with signed_in(live_server, "admin-a") as admin:
        status, body = await admin.post(
            "/api/admin/staff",
            {
                "username": "sato",
                "display_name": "佐藤（携帯 090-8765-4321）",
                "role": "agent",
                "municipality_id": "shiomi",
                "routes": ["*"],
                "languages": ["ja"],
            },
        )
        assert status == 201, body
        assert body["staff"]["display_name"] == f"佐藤（携帯 {PHONE_MASK}）"
        status, body = await admin.post(
            "/api/admin/places",
            {"place_id": "kita", "municipality_id": "shiomi", "name": f"北局 {PHONE}", "kind": "post_office"},
        )
        assert status == 201 and body["place"]["name"] == f"北局 {PHONE_MASK}", body
        # a 個人番号 in a name is refused outright (session 11), without repeating it; in a location, masked
        status, body = await admin.post(
            "/api/admin/booths", {"name": f"ブース {MY_NUMBER}", "municipality_id": "shiomi"}
        )
        assert status == 400 and "personal number" in body["error"]["message"], body
        assert MY_NUMBER not in str(body)
        status, body = await admin.post(
            "/api/admin/booths",
            {"name": "ブース", "municipality_id": "shiomi", "location": f"係 {MY_NUMBER} {PHONE[:3]} {PHONE[3:]}"},
        )
        assert status == 201, body
        assert body["booth"]["location"] == f"係 {MY_NUMBER_MASK} {PHONE_MASK}"
        booth_id = body["booth"]["id"]
        status, body = await admin.post(f"/api/admin/booths/{booth_id}/rename", {"name": f"ブース２ {PHONE}"})
        assert status == 200 and body["booth"]["name"] == f"ブース２ {PHONE_MASK}", body

    leaks = Leaks([Sample("my_number", MY_NUMBER, MY_NUMBER), Sample("phone", PHONE, PHONE)])
    assert await search_database(leaks, live_server.settings.effective_database_url) > 0
    assert leaks.found == []
    staff = await live_server.app[keys.ACCOUNTS].by_username("sato")
    assert staff is not None and PHONE_MASK in staff.display_name
