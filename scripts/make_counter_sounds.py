"""Writes the differential counter's two sounds (marrowpath/ui/sounds/*.wav).

A soft 1 kHz tick of 40 ms every 100 cells, and at the target two rising tones (660 Hz
then 880 Hz, 180 ms each): short, quiet, distinct, and made here so their origin is
plain. Run once after changing them: `python scripts/make_counter_sounds.py`.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
FOLDER = Path(__file__).resolve().parent.parent / "marrowpath" / "ui" / "sounds"


def tone(frequency: float, seconds: float, volume: float) -> list[int]:
    frames = int(RATE * seconds)
    fade = max(1, int(RATE * 0.005))  # 5 ms in and out: no click
    samples = []
    for i in range(frames):
        envelope = min(1.0, i / fade, (frames - i) / fade)
        value = volume * envelope * math.sin(2 * math.pi * frequency * i / RATE)
        samples.append(int(value * 32_767))
    return samples


def write(name: str, samples: list[int]) -> None:
    with wave.open(str(FOLDER / name), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))


if __name__ == "__main__":
    FOLDER.mkdir(parents=True, exist_ok=True)
    write("tick.wav", tone(1000, 0.04, 0.25))
    write("target.wav", tone(660, 0.18, 0.5) + tone(880, 0.18, 0.5))
