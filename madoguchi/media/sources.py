"""Synthetic camera and microphone for headless peers (probes, tests, benchmarks).

A probe must prove that *real* media flows, so the sources are paced like a device (a 20 ms audio frame every
20 ms, a video frame every 1/30 s) and carry something recognisable: the tone is a plain sine, and every video
frame shows a moving bar above which the frame number is written as a strip of black and white blocks.
:func:`read_frame_counter` reads that number back from a decoded frame, so a receiver can check that what it
decoded really is our picture and in order, not just "some bytes arrived".

Timestamps follow WebRTC conventions: audio ``pts`` counts samples at 48 kHz, video ``pts`` counts a 90 kHz
clock.
Pacing uses a monotonic clock; a late consumer is never made to wait again for frames it already owes.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from collections.abc import Awaitable, Callable

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

AUDIO_SAMPLE_RATE = 48_000
AUDIO_FRAME_S = 0.020
VIDEO_CLOCK_RATE = 90_000

COUNTER_BITS = 16
"""How many bits of the frame number the video strip carries (it wraps at 65536)."""

_COUNTER_STRIP_ROWS = 16
_WHITE = 235
_BLACK = 16

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class _Pacer:
    """Releases frame *n* no earlier than ``start + n * step`` on a monotonic clock."""

    def __init__(self, step_s: float, clock: Clock, sleep: Sleep) -> None:
        self._step_s = step_s
        self._clock = clock
        self._sleep = sleep
        self._start: float | None = None
        self.index = -1

    async def next(self) -> int:
        self.index += 1
        if self._start is None:
            self._start = self._clock()
            return self.index
        wait = self._start + self.index * self._step_s - self._clock()
        if wait > 0:
            await self._sleep(wait)
        return self.index


class ToneAudioTrack(MediaStreamTrack):
    """A continuous sine tone, mono, 48 kHz, 20 ms frames of signed 16-bit samples."""

    kind = "audio"

    def __init__(
        self,
        frequency_hz: float = 440.0,
        amplitude: float = 0.2,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__()
        if not 0 < frequency_hz < AUDIO_SAMPLE_RATE / 2:
            raise ValueError(f"frequency_hz must be between 0 and {AUDIO_SAMPLE_RATE // 2}, got {frequency_hz}")
        if not 0 <= amplitude <= 1:
            raise ValueError(f"amplitude must be between 0 and 1, got {amplitude}")
        self._samples_per_frame = round(AUDIO_SAMPLE_RATE * AUDIO_FRAME_S)
        self._step = 2 * math.pi * frequency_hz / AUDIO_SAMPLE_RATE
        self._amplitude = amplitude * 32767
        self._pacer = _Pacer(AUDIO_FRAME_S, clock, sleep)
        self._time_base = fractions.Fraction(1, AUDIO_SAMPLE_RATE)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._pacer.next()
        first_sample = index * self._samples_per_frame
        positions = np.arange(first_sample, first_sample + self._samples_per_frame, dtype=np.float64)
        samples = (np.sin(positions * self._step) * self._amplitude).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_SAMPLE_RATE
        frame.pts = first_sample
        frame.time_base = self._time_base
        return frame


class PatternVideoTrack(MediaStreamTrack):
    """A moving white bar on a grey gradient with the frame number as a block strip on top (YUV 4:2:0)."""

    kind = "video"

    def __init__(
        self,
        width: int = 320,
        height: int = 240,
        fps: float = 30.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__()
        if width % (2 * COUNTER_BITS) != 0 or width <= 0:
            raise ValueError(f"width must be a positive multiple of {2 * COUNTER_BITS}, got {width}")
        if height % 2 != 0 or height < 2 * _COUNTER_STRIP_ROWS:
            raise ValueError(f"height must be even and at least {2 * _COUNTER_STRIP_ROWS}, got {height}")
        if not 0 < fps <= 60:
            raise ValueError(f"fps must be between 0 and 60, got {fps}")
        self.width = width
        self.height = height
        self._pts_step = round(VIDEO_CLOCK_RATE / fps)
        self._pacer = _Pacer(1 / fps, clock, sleep)
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        gradient = np.linspace(60, 180, width, dtype=np.float64).astype(np.uint8)
        self._background = np.tile(gradient, (height, 1))
        self._chroma = np.full((height // 2, width), 128, dtype=np.uint8)
        self._bar_width = max(4, width // 16)

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._pacer.next()
        luma = self._background.copy()
        bar_left = (index * 4) % (self.width - self._bar_width)
        luma[_COUNTER_STRIP_ROWS:, bar_left : bar_left + self._bar_width] = _WHITE
        block = self.width // COUNTER_BITS
        for bit in range(COUNTER_BITS):
            on = (index >> (COUNTER_BITS - 1 - bit)) & 1
            luma[:_COUNTER_STRIP_ROWS, bit * block : (bit + 1) * block] = _WHITE if on else _BLACK
        frame = VideoFrame.from_ndarray(np.vstack((luma, self._chroma)), format="yuv420p")
        frame.pts = index * self._pts_step
        frame.time_base = self._time_base
        return frame


def read_frame_counter(frame: VideoFrame) -> int:
    """The frame number a :class:`PatternVideoTrack` wrote into ``frame`` (after encoding and decoding).

    Reads the centre of each block of the top strip, so mild compression blur does not change the result.
    """
    luma = frame.to_ndarray(format="gray")
    if luma.shape[0] < _COUNTER_STRIP_ROWS or luma.shape[1] < COUNTER_BITS:
        raise ValueError(f"frame of {luma.shape[1]}x{luma.shape[0]} is too small to carry a counter")
    block = luma.shape[1] / COUNTER_BITS
    row = _COUNTER_STRIP_ROWS // 2
    value = 0
    for bit in range(COUNTER_BITS):
        centre = int((bit + 0.5) * block)
        level = int(luma[row - 2 : row + 2, max(0, centre - 2) : centre + 2].mean())
        value = (value << 1) | (1 if level > (_WHITE + _BLACK) // 2 else 0)
    return value
