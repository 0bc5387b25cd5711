"""Fixtures shared by every test tier: the session's live cloud."""

import pytest

from tests.livecloud import LiveCloud


@pytest.fixture(scope="session")
def cloud(tmp_path_factory):
    """One live in-process cloud for the whole session, started by the real `minicloud up`."""
    live = LiveCloud(tmp_path_factory.mktemp("cloud"))
    live.up()
    yield live
    live.down()
