"""How good a booth's link is: its self-test (the TURN servers it gathers against, its last result kept for the
supervisors' booth list) and each side's link-quality summary of a call (kept with the record; the final one
also goes to the per-booth histograms on /metrics).

None of it changes a consultation, so none of it goes through :meth:`CounterService.run`; the self-test result
lives in the live state only because the supervisors' view is built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from madoguchi.signaling import server_events as se
from madoguchi.signaling.counter import Counter, CounterError
from madoguchi.signaling.events import CallQuality, SelfTestReport
from madoguchi.signaling.lookups import Lookups
from madoguchi.signaling.ports import LinkObserver, QualityLog
from madoguchi.signaling.state import SelfTestResult
from madoguchi.signaling.store import LiveStore
from madoguchi.storage.booths import BoothRecord


class LinkReports:
    def __init__(
        self,
        *,
        store: LiveStore,
        lookups: Lookups,
        quality: QualityLog | None,
        clock: Callable[[], float],
        touch: Callable[[Iterable[str] | None], None],
    ) -> None:
        self._store = store
        self._lookups = lookups
        self._quality = quality
        self._clock = clock
        self._touch = touch
        self.link_observers: list[LinkObserver] = []  # per-booth link histograms (/metrics)

    def self_test_servers(self, booth_id: str) -> list[se.IceServerEntry]:
        """The TURN servers a booth's self-test gathers against (it shows the clerk whether a relay answers)."""
        return self._lookups.self_test_servers(booth_id, now=self._clock())

    async def note_self_test(self, booth: BoothRecord, report: SelfTestReport) -> None:
        """A booth's self-test result, kept in the live state as its last one for the supervisors' booth list."""
        result = SelfTestResult(at=self._clock(), **report.model_dump())
        await self._store.transact(partial(Counter.note_self_test, booth_id=booth.id, result=result))
        self._touch([booth.municipality_id])

    async def link_quality(self, participant: str, summary: CallQuality) -> None:
        """One side's link-quality summary of its call so far, kept with the record (the latest one counts)."""
        fields = summary.model_dump(mode="json", exclude={"consultation_id", "final"})
        kept = (
            None
            if self._quality is None
            else await self._quality.set_link_quality(summary.consultation_id, participant, fields)
        )
        if kept is None:
            raise CounterError("not_found", "no consultation of yours to report the link quality of")
        if summary.final:
            for observer in self.link_observers:
                observer.link_summary(summary.consultation_id, kept.booth_id, kept.role, fields)
            self._touch(None)  # the supervisors' booth list shows the booth's last call's link
