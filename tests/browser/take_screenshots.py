"""Screenshots of the widget list and the edit form for the README.

Not a test: starts its own server on a temporary SQLite database (built by
`alembic upgrade heads`), seeds a dozen widgets, logs in through the login
form and writes docs/screenshots/list.png and docs/screenshots/edit.png.

    /work/venv/bin/python -m tests.browser.take_screenshots   # from the repository root
"""
import secrets
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import sync_playwright

from poser_web.db.engine import get_engine
from tests.browser.support import (
    ChromiumMissing,
    LiveServer,
    add_admin,
    launch_chromium,
    log_in,
    seed_widgets,
)
from tests.databases import REPO, migrate

OUT = REPO / "docs" / "screenshots"
USERNAME, PASSWORD = "admin", "screenshots-" + secrets.token_hex(8)

WIDGETS = [
    {"description": "Bird Feeder, Cedar", "components": [
        ("BF-ROOF", "Cedar roof panel"), ("BF-TRAY", "Seed tray"), ("BF-HOOK", "Hanging hook")]},
    {"description": "Garden Hose Reel", "components": [
        ("HR-DRUM", "Reel drum"), ("HR-CRANK", "Crank handle"), ("HR-FRAME", "Steel frame"),
        ("HR-LEAD", "Lead-in hose, 6 ft")]},
    {"description": "Patio Umbrella, 9 ft", "components": [
        ("PU-CANOPY", "Canopy, sunbrella"), ("PU-POLE", "Aluminum pole"), ("PU-TILT", "Tilt hinge")]},
    {"description": "Rain Barrel, 50 gal", "components": [
        ("RB-BARREL", "Barrel body"), ("RB-SPIGOT", "Brass spigot")]},
    {"description": "Wind Chime, Bamboo", "active": False, "components": [
        ("WC-TUBE", "Bamboo tube"), ("WC-SAIL", "Wind sail")]},
    {"description": "Weather Vane, Copper Rooster", "components": [
        ("WV-ROOSTER", "Rooster silhouette"), ("WV-ARMS", "Compass arms"),
        ("WV-POLE", "Mounting pole")]},
    {"description": "Compost Tumbler", "components": [
        ("CT-DRUM", "Rotating drum"), ("CT-STAND", "Stand"), ("CT-LATCH", "Door latch")]},
    {"description": "Raised Garden Bed, 4x8", "components": [
        ("GB-SIDE-L", "Long side board"), ("GB-SIDE-S", "Short side board"),
        ("GB-CORNER", "Corner post")]},
    {"description": "Solar Path Light", "components": [("SL-PANEL", "Solar panel"),
                                                      ("SL-STAKE", "Ground stake")]},
    {"description": "Hummingbird Feeder", "active": False, "components": []},
    {"description": "Potting Bench", "components": [
        ("PB-TOP", "Galvanized top"), ("PB-SHELF", "Lower shelf")]},
    {"description": "Trellis Arch", "components": [("TA-PANEL", "Side panel"),
                                                   ("TA-ARCH", "Arch top")]},
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'screenshots.sqlite'}"
        migrate(url)
        engine = get_engine({"sqlalchemy.url": url})
        uuids = seed_widgets(engine, WIDGETS)
        add_admin(engine, USERNAME, PASSWORD)
        settings = {"sqlalchemy.url": url, "poser.secret": secrets.token_urlsafe(48),
                    "poser.allowed_hosts": "127.0.0.1"}
        with LiveServer(settings) as server, sync_playwright() as playwright:
            try:
                browser = launch_chromium(playwright)
            except ChromiumMissing as error:
                sys.exit(str(error))
            context = browser.new_context(viewport={"width": 1280, "height": 800},
                                          base_url=server.url)
            page = context.new_page()
            log_in(page, USERNAME, PASSWORD)

            page.goto("/widgets")
            page.screenshot(path=str(OUT / "list.png"), full_page=True)

            feeder = uuids[0]  # three components
            page.goto(f"/widgets/{feeder}/edit")
            page.locator("#master-form input[name=item_code]").first.wait_for()
            page.screenshot(path=str(OUT / "edit.png"), full_page=True)
            browser.close()
        engine.dispose()
    for name in ("list.png", "edit.png"):
        print(OUT / name)


if __name__ == "__main__":
    main()
