from datetime import timedelta

import pytest
from django.utils import timezone

from health import heartbeats


@pytest.mark.django_db
def test_a_heartbeat_is_kept_per_part_and_the_newest_wins():
    earlier = timezone.now() - timedelta(minutes=5)
    heartbeats.record("worker", at=earlier)
    assert heartbeats.last("worker", "beat") == {"worker": earlier, "beat": None}
    heartbeats.record("worker")
    assert heartbeats.last("worker")["worker"] > earlier
