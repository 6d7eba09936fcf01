"""A transferred call keeps each of its calls in the records, and its wait is the resident's waiting only (ux16 H3).

A tester's booth call: agent 1 answered 保険・年金, talked about two minutes and transferred it to 税金; agent 2
answered and wrapped up. The export had one row for agent 2 under 税金 with a 162 s "wait" (the first call's
talk included), so the service level was 0 %, and agent 1's call and route were nowhere. The server here runs on
a clock the test moves, so the seconds are known: 5 s waiting, 100 s with agent 1, 20 s waiting, 30 s with agent 2.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import aiohttp

from tests.support import OFFICE_MORNING, agent_peer, booth_peer, login_cookie, make_settings, ok, serve

PASSWORD = "umi-no-mieru-machi"


async def test_a_transferred_call_keeps_each_call_and_counts_only_the_residents_waiting(tmp_path: Path) -> None:
    shift = [OFFICE_MORNING - time.time()]

    def clock() -> float:
        return time.time() + shift[0]

    async with serve(make_settings(tmp_path), clock=clock) as server:
        _, token, _ = await server.add_booth("汐見郵便局ブース")
        await server.add_agent("aoki", PASSWORD)
        await server.add_agent("baba", PASSWORD)
        await server.add_agent("sup", PASSWORD, role="supervisor")
        booth = await booth_peer(server, token)
        first = await agent_peer(server, "aoki", PASSWORD)
        cid = ok(await booth.call("consultation.request", {"route": "elderly_care"}))["consultation_id"]
        shift[0] += 5  # nobody on duty yet: the resident waits 5 s
        ok(await first.call("agent.status", {"status": "available"}))
        await first.wait_for("offer", lambda o: o["consultation_id"] == cid)
        ok(await first.call("offer.accept", {"consultation_id": cid}))
        await booth.wait_for("call.start")
        shift[0] += 100  # agent 1 talks 100 s
        ok(await first.call("consultation.transfer", {"consultation_id": cid, "route": "tax", "note": "税のこと"}))
        await first.wait_for("call.end", lambda m: m["reason"] == "transferred")
        shift[0] += 20  # waiting for the next desk: 20 s
        second = await agent_peer(server, "baba", PASSWORD)
        ok(await second.call("agent.status", {"status": "available"}))
        await second.wait_for("offer", lambda o: o["consultation_id"] == cid)
        ok(await second.call("offer.accept", {"consultation_id": cid}))
        shift[0] += 30  # agent 2 talks 30 s
        ok(await second.call("consultation.end", {"consultation_id": cid}))
        await second.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
        ok(await second.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": ""}))
        await second.wait_for("agent.state", lambda s: s["status"] == "available")

        [record] = [r for r in await server.export_records() if r["consultation_id"] == cid]
        assert record["route"] == "tax" and record["agent_username"] == "baba"
        assert 24 <= record["waited_s"] <= 27, record["waited_s"]  # 5 s + 20 s, not the 125 s since the request
        assert 129 <= record["handled_s"] <= 132, record["handled_s"]  # both calls' talk
        legs = record["legs"]
        assert [(leg["route"], leg["agent_username"]) for leg in legs] == [("elderly_care", "aoki"), ("tax", "baba")]
        assert 99 <= legs[0]["talk_s"] <= 102 and 29 <= legs[1]["talk_s"] <= 32

        cookie = await login_cookie(server.base_url, "sup", PASSWORD)
        async with aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http:
            query = "from=2026-12-07&to=2026-12-07"
            async with http.get(f"{server.base_url}/api/reports/kpis?{query}") as resp:
                assert resp.status == 200, await resp.text()
                kpis = await resp.json()
            async with http.get(f"{server.base_url}/api/reports/consultations.csv?{query}&headers=ja") as resp:
                sheet = list(csv.reader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
        assert 24 <= kpis["asa_s"] <= 27, kpis["asa_s"]  # the report and the export agree
        assert kpis["service_level"] == 1.0, "25 s of waiting is within the 120 s target"
        assert 129 <= kpis["talk_s"] <= 132
        header, row = sheet[0], sheet[-1]
        assert header[-1] == "通話ごと（窓口・職員・時刻・通話秒）", "appended: older columns keep their place"
        assert header[: len(header) - 1][-2:] == ["要約", "やりとり"]
        legs_text = row[-1].splitlines()
        assert len(legs_text) == 2 and "aoki さん" in legs_text[0] and "baba さん" in legs_text[1]
        assert "秒）" in legs_text[0]
        for peer in (booth, first, second):
            await peer.close()
