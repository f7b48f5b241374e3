# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A simulated clock, and counting requests in time windows: shared by the unit tests of deadlines and budgets."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading


class Clock:
    """A monotonic clock that only moves when something sleeps on it (thread-safe)."""

    def __init__(self):
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        with self.lock:
            self.now += seconds


def most_in_any_window(times, width):
    """The most of ``times`` that fall within any window of ``width`` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= width:
            start += 1
        most = max(most, end - start + 1)
    return most
