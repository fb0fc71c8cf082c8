"""The filesystem queue of `make run` (no Redis), with message priority.

kombu's filesystem transport keeps each message as a file named
``<milliseconds>_<uuid>.<queue>.msg`` and hands out a queue's files in name
order, so it is first in, first out whatever the message's priority. This
channel puts the priority first in the name (``<priority>-<ms>_...``), so a
high run's message is taken before a normal one's already waiting, as on
Redis (0 first: l1site.queues). The rest, the reading included, is kombu's.

kombu is pinned (requirements.txt): _put below is its own, with the name
changed, and tests/test_fsqueue.py checks the order through the transport.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic_ns

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

def message_name(queue: str, priority: int | None) -> str:
    """The file name: priority, then time (zero-padded, so names sort as
    numbers; the clock is the machine's, the same in every process). As on Redis, no priority is 0 (kombu gives every message one;
    l1site.queues gives every task a deliberate one)."""
    level = min(max(int(priority or 0), 0), 9)
    return f"{level}-{monotonic_ns():020d}_{uuid.uuid4()}.{queue}.msg"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        priority = (payload.get("properties") or {}).get("priority")
        filename = os.path.join(self.data_folder_out, message_name(queue, priority))
        f = None
        try:
            f = open(filename, "wb", buffering=0)
            filesystem.lock(f, filesystem.LOCK_EX)
            f.write(str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {filename!r} to directory") from exc
        finally:
            if f is not None:
                filesystem.unlock(f)
                f.close()


class Transport(filesystem.Transport):
    Channel = Channel
