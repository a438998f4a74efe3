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


def test_stored_pages_stay_bounded_whatever_addresses_are_asked(tmp_path):
    cache = PublicDataCache(tmp_path / "public-data.stamp", max_pages=3)
    renders = []

    def render(key):
        renders.append(key)
        return f"page for {key}", True

    for n in range(10):  # a visitor typing ten different searches
        cache.page(f"/providers?near={n}", lambda n=n: render(n))
    assert len(cache._pages) <= 3
    cache.page("/providers?near=9", lambda: render("again"))
    assert renders[-1] == 9  # the latest is still held, not rendered again


def test_a_page_that_may_not_be_kept_is_rendered_each_time(tmp_path):
    cache = PublicDataCache(tmp_path / "public-data.stamp")
    renders = []

    def render_with_a_token():
        renders.append(1)
        return "a page holding this visitor's CSRF token", False

    for _ in range(2):
        cache.page("/", render_with_a_token)
    assert len(renders) == 2
