# When a stream's encoders step down to a faster x264 preset and when they
# step back up: the decision only, no GStreamer (livestream-server's Stream
# measures and swaps the encoders; tests/integration/pipelines/test_units.py
# checks the rules).
"""Quality degradation of a transcoded stream: the decision."""

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast",
           "medium", "slow", "slower", "veryslow", "placebo")


def degrade_levels(preset):
    """The presets a stream steps through when its encoders fall behind:
    the configured one, then each faster one down to ultrafast."""
    i = PRESETS.index(preset) if preset in PRESETS else 2
    return [PRESETS[k] for k in range(i, -1, -1)]


class Governor:
    """Called once a second with what the stream's ladder looks like.

    Behind real time means a rung's queue of raw frames waiting for its
    encoder is at least half full, or prioqueue shed video since the last
    check. Two checks in a row behind step down one level (a faster
    preset), at most one step per `min_interval` seconds so that a swap
    can show its effect. `recover_after` seconds without any backlog step
    back up one level; a stream that falls behind again within twice that
    time after a step up relapsed, and waits twice as long (up to
    `max_recover`) before the next step up. Steps down in a row are not
    relapses: an overload that needs several steps gets them every
    `min_interval` seconds and recovers at the configured pace."""

    def __init__(self, preset, recover_after=30.0, min_interval=5.0,
                 max_recover=600.0, now=0.0):
        self.levels = degrade_levels(preset)
        self.level = 0
        self.recover_after = float(recover_after)
        self.min_interval = float(min_interval)
        self.max_recover = float(max_recover)
        self.behind = 0              # checks in a row behind real time
        self.calm_since = now
        self.last_change = None      # time of the last step, None: never
        self.last_step = 0           # +1 down (faster), -1 up (better)
        self.relapses = 0

    @property
    def preset(self):
        return self.levels[self.level]

    def update(self, now, fill, shed):
        """@fill: the fullest encoder queue (0..1); @shed: prioqueue dropped
        video since the last call. Returns (new level, reason) when the
        stream must change level, else None. The caller applies it."""
        behind = fill >= 0.5 or shed
        self.behind = self.behind + 1 if behind else 0
        if behind:
            self.calm_since = now
        since = None if self.last_change is None else now - self.last_change
        if self.behind >= 2 and self.level < len(self.levels) - 1 and \
                (since is None or since >= self.min_interval):
            why = (f"encoder queue {fill * 100:.0f}% full" if fill >= 0.5
                   else "prioqueue shed frames")
            if self.last_step < 0 and since < 2 * self.recover_after:
                # fell behind again soon after a step up: wait longer
                self.recover_after = min(self.recover_after * 2,
                                         self.max_recover)
                self.relapses += 1
            return self._step(now, +1, f"behind real time ({why})")
        if self.level > 0 and not behind and \
                now - self.calm_since >= self.recover_after and \
                since >= self.recover_after:
            return self._step(now, -1, "headroom: no backlog for "
                              f"{now - self.calm_since:.0f} s")
        return None

    def _step(self, now, step, reason):
        self.level += step
        self.last_step = step
        self.last_change = now
        self.calm_since = now
        self.behind = 0
        return self.level, reason
