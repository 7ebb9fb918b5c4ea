"""The Datasync page in a browser: Retry by keyboard, no sideways scroll on a phone."""
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from poser_web.models import DatasyncConsumer, DatasyncParked, utcnow

PHONE = {"width": 390, "height": 844}


def seed_parked(engine):
    with Session(engine) as session:
        session.add(DatasyncConsumer(name="reporting-copy-in-the-back-office", kind="poser", cursor=12,
                                     last_success_at=utcnow(), last_error_at=utcnow(),
                                     last_error="change 13 parked: " + "IntegrityError" * 12))
        session.add(DatasyncParked(consumer="reporting-copy-in-the-back-office", change_id=13,
                                   entity="widget", entity_key="a" * 32, action="upsert",
                                   changed_at=utcnow(), status="parked", attempts=5,
                                   error="IntegrityError: " + "x" * 120))
        session.commit()


def test_retry_by_keyboard_and_the_page_fits_a_phone(page, engine):
    seed_parked(engine)
    page.set_viewport_size(PHONE)
    page.goto("/datasync")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    retry = page.get_by_role("button", name="Retry change 13")
    retry.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="asked the daemon to retry")).to_be_visible()
    expect(page.get_by_role("cell", name="retry", exact=True)).to_be_visible()
