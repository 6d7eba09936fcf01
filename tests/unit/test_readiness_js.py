"""The kiosk's readiness pill (static/js/readiness.js, pure) when the trouble is the network alone (tidy14): the
self-test's network part failing said 「準備が できていません」 as if the machine were broken; it is the link to the
office, said as reconnecting, with ``network`` set so the idle screen says it in plain words."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

READINESS = Path(__file__).resolve().parents[2] / "madoguchi" / "static" / "js" / "readiness.js"
CASES = [
    ("ready", "fail", ["network"]),
    ("ready", "fail", ["camera", "network"]),
    ("ready", "fail", ["microphone"]),
    ("ready", "warn", []),
    ("ready", "ok", []),
    ("offline", "ok", []),
    ("offline", None, []),
    ("connecting", None, []),
    ("unauthorized", "fail", ["network"]),
]


def readiness() -> list[dict[str, object]]:
    script = (
        f"const m = await import({json.dumps(READINESS.as_uri())});"
        f"console.log(JSON.stringify({json.dumps(CASES)}.map(([c, k, f]) => "
        "m.readiness(c, k, 'booth.conn.reconnecting', f))));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def test_the_network_alone_failing_is_said_as_the_link_not_as_not_ready() -> None:
    said = dict(zip([f"{c}/{k}/{'+'.join(f)}" for c, k, f in CASES], readiness(), strict=True))
    assert said["ready/fail/network"] == {"key": "booth.conn.reconnecting", "tone": "fail", "network": True}
    # a device failing too: the machine is not ready, in those words
    assert said["ready/fail/camera+network"] == {"key": "booth.conn.check_fail", "tone": "fail", "network": False}
    assert said["ready/fail/microphone"] == {"key": "booth.conn.check_fail", "tone": "fail", "network": False}
    assert said["ready/ok/"]["key"] == "booth.conn.ready"
    # a finding is never called ready (ux14: green 「準備できています」 over the clerk's 「音を 確かめてください」), nor
    # a staff diagnostic in the resident's header (ux16: 「確認が 必要です」): connected, with the clerk's yellow dot
    assert said["ready/warn/"] == {"key": "booth.conn.connected", "tone": "warn", "network": False}
    assert not said["ready/ok/"]["network"]
    # the socket retrying is the link too, whatever the last self-test said
    assert (
        said["offline/ok/"]
        == said["offline/None/"]
        == {
            "key": "booth.conn.reconnecting",
            "tone": "fail",
            "network": True,
        }
    )
    assert said["connecting/None/"]["network"] is False
    assert said["unauthorized/fail/network"] == {"key": "booth.conn.unauthorized", "tone": "fail", "network": False}
