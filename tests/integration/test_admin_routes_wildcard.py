"""``"*"`` (every route) beside a named route (session 15's outside pass: the admin API stored ``["*", "tax"]`` for
an agent): refused with a 400 naming the rule, on adding and on changing a person, and by the account store itself
(the CLI); ``["*"]`` and named routes alone are taken as before."""

from __future__ import annotations

import pytest

from madoguchi import keys
from madoguchi.storage.errors import InvalidValue
from tests.integration.test_admin_web import PASSWORD, signed_in
from tests.support import LiveServer

STAFF = {"role": "agent", "municipality_id": "shiomi", "languages": ["ja"]}


async def test_a_wildcard_beside_a_named_route_is_refused(live_server: LiveServer) -> None:
    await live_server.add_agent("admin-w", PASSWORD, role="admin", municipality="shiomi")
    async with signed_in(live_server, "admin-w") as admin:
        for routes in (["*", "tax"], ["tax", "*"]):
            status, refused = await admin.post("/api/admin/staff", {**STAFF, "username": "mixed", "routes": routes})
            assert (status, refused["error"]["code"]) == (400, "invalid_value"), refused
            assert '"*"' in refused["error"]["message"] and "stands alone" in refused["error"]["message"]
        status, added = await admin.post("/api/admin/staff", {**STAFF, "username": "plain", "routes": ["tax"]})
        assert status == 201, added
        status, refused = await admin.post("/api/admin/staff/plain/update", {"routes": ["*", "tax"]})
        assert (status, refused["error"]["code"]) == (400, "invalid_value"), refused
        status, changed = await admin.post("/api/admin/staff/plain/update", {"routes": ["*"]})
        assert status == 200, changed
    accounts = live_server.app[keys.ACCOUNTS]
    assert await accounts.by_username("mixed") is None
    stored = await accounts.by_username("plain")
    assert stored is not None and stored.routes == ("*",)
    with pytest.raises(InvalidValue, match="stands alone"):
        await accounts.update("plain", routes=["tax", "*"])
