"""The serving collector (`app/core/gc_tuning.py`): tuned while an app serves, as it was after."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from app.core.config import Settings, load_settings
from app.core.gc_tuning import SERVING_GEN0_THRESHOLD, ServingCollector
from app.main import create_app


def settings_for(**overrides: object) -> Settings:
    return load_settings(_env_file=None, DATABASE_URL="sqlite://", **overrides)


def test_an_app_serving_freezes_its_start_up_heap_and_collects_less_often_until_it_stops() -> None:
    before_threshold, before_frozen = gc.get_threshold(), gc.get_freeze_count()
    app = create_app(settings_for(SERVER_GC_TUNING=True))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_threshold()[0] == max(SERVING_GEN0_THRESHOLD, before_threshold[0])
        assert gc.get_threshold()[1:] == before_threshold[1:]
        assert gc.get_freeze_count() > before_frozen
    assert gc.get_threshold() == before_threshold
    assert gc.get_freeze_count() == 0


def test_tuning_off_leaves_the_collector_alone() -> None:
    before = gc.get_threshold()
    with TestClient(create_app(settings_for(SERVER_GC_TUNING=False))) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_second_start_keeps_the_first_saved_defaults() -> None:
    collector, before = ServingCollector(), gc.get_threshold()
    collector.start()
    collector.start()
    collector.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    collector.stop()  # stopping twice is harmless
    assert gc.get_threshold() == before
