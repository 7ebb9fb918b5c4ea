"""Values kept between requests stay bounded whatever Host headers clients send."""
from types import SimpleNamespace

from poser_web.web.kept import kept


def test_kept_values_are_made_once_and_bounded():
    request = SimpleNamespace(registry={})
    made = []
    for host in range(2000):  # a client flooding a development server with Host names
        kept(request, "store", (f"http://h{host}", "poser.css"), lambda: made.append(1) or "url")
    assert len(request.registry["store"]) <= 512
    assert kept(request, "store", ("http://h1999", "poser.css"), lambda: "again") == "url"
    assert len(made) == 2000
