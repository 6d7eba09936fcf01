"""The synthetic sources: timestamps, pacing and the frame counter that receivers read back."""

from __future__ import annotations

import fractions

import pytest
from aiortc.mediastreams import MediaStreamError

from madoguchi.media.sources import PatternVideoTrack, ToneAudioTrack, read_frame_counter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class RecordedSleeps(list[float]):
    """Stands in for ``asyncio.sleep``: remembers how long the source asked to wait, and returns at once."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


@pytest.fixture
def recorded_sleeps() -> RecordedSleeps:
    return RecordedSleeps()


async def test_audio_frames_are_20ms_of_48khz_with_sample_timestamps(recorded_sleeps: RecordedSleeps) -> None:
    track = ToneAudioTrack(clock=FakeClock(), sleep=recorded_sleeps)
    frames = [await track.recv() for _ in range(3)]
    assert [f.pts for f in frames] == [0, 960, 1920]
    assert all(f.sample_rate == 48_000 and f.samples == 960 for f in frames)
    assert frames[0].time_base == fractions.Fraction(1, 48_000)
    samples = frames[1].to_ndarray()
    assert samples.dtype.name == "int16" and samples.max() > 1000 and samples.min() < -1000


async def test_audio_waits_until_each_frame_is_due(recorded_sleeps: RecordedSleeps) -> None:
    clock = FakeClock()
    track = ToneAudioTrack(clock=clock, sleep=recorded_sleeps)
    await track.recv()
    clock.now += 0.005
    await track.recv()
    assert recorded_sleeps == pytest.approx([0.015])


async def test_a_late_consumer_is_not_made_to_wait(recorded_sleeps: RecordedSleeps) -> None:
    clock = FakeClock()
    track = PatternVideoTrack(clock=clock, sleep=recorded_sleeps)
    await track.recv()
    clock.now += 1.0  # thirty frames late
    await track.recv()
    await track.recv()
    assert recorded_sleeps == []


async def test_video_has_90khz_timestamps_and_the_frame_number_in_the_picture(
    recorded_sleeps: RecordedSleeps,
) -> None:
    track = PatternVideoTrack(clock=FakeClock(), sleep=recorded_sleeps)
    frames = [await track.recv() for _ in range(5)]
    assert [f.pts for f in frames] == [0, 3000, 6000, 9000, 12000]
    assert frames[0].time_base == fractions.Fraction(1, 90_000)
    assert (frames[0].width, frames[0].height) == (320, 240)
    assert [read_frame_counter(f) for f in frames] == [0, 1, 2, 3, 4]


async def test_frame_counter_survives_large_numbers(recorded_sleeps: RecordedSleeps) -> None:
    track = PatternVideoTrack(clock=FakeClock(), sleep=recorded_sleeps)
    track._pacer.index = 0xBEEF - 1  # jump ahead without producing 48879 frames
    assert read_frame_counter(await track.recv()) == 0xBEEF


async def test_a_stopped_track_raises_like_a_camera_that_was_unplugged() -> None:
    track = ToneAudioTrack()
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"width": 100}, "width"), ({"height": 7}, "height"), ({"fps": 0}, "fps")],
)
def test_bad_video_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PatternVideoTrack(**kwargs)  # type: ignore[arg-type]


def test_bad_tone_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="frequency_hz"):
        ToneAudioTrack(frequency_hz=30_000)
