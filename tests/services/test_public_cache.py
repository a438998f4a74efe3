"""The public snapshot is rebuilt when the stamp is replaced (by any process) or too old."""

from intake.services.public_cache import PublicDataCache, PublicProviders


def counting_loader():
    loads = []

    def load() -> PublicProviders:
        loads.append(1)
        return PublicProviders(())

    return load, loads


def test_a_second_process_sees_the_stamp_the_first_replaced(tmp_path):
    stamp = tmp_path / "public-data.stamp"
    this_worker, other_worker = PublicDataCache(stamp), PublicDataCache(stamp)
    load, loads = counting_loader()
    other_worker.current("providers", load)
    other_worker.current("providers", load)
    assert len(loads) == 1
    this_worker.mark_changed()
    other_worker.current("providers", load)
    assert len(loads) == 2


def test_two_changes_in_quick_succession_each_invalidate(tmp_path):
    cache = PublicDataCache(tmp_path / "public-data.stamp")
    load, loads = counting_loader()
    for _ in range(3):
        PublicDataCache(cache.stamp).mark_changed()  # another worker, within one clock tick
        cache.current("providers", load)
    assert len(loads) == 3


def test_a_snapshot_older_than_its_max_age_is_read_again(tmp_path):
    cache = PublicDataCache(tmp_path / "public-data.stamp", max_age=0)
    load, loads = counting_loader()
    cache.current("providers", load)
    cache.current("providers", load)
    assert len(loads) == 2


def test_an_unwritable_stamp_still_refreshes_this_worker(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    cache = PublicDataCache(blocker / "public-data.stamp")
    load, loads = counting_loader()
    cache.current("providers", load)
    cache.mark_changed()
    cache.current("providers", load)
    assert len(loads) == 2
    assert "stamp not written" in caplog.text
