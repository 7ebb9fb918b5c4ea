"""The amqp consumer against the RabbitMQ on 127.0.0.1:5672 (.ci/run starts it): persistent
JSON messages, message id = change id, and a broker restart mid-stream loses nothing."""
import json
import subprocess
import time
import uuid

import pika  # the testing extra installs it: a missing client fails the run
import pytest
from sqlalchemy import select

from poser_web.datasync.daemon import Daemon
from poser_web.db.engine import get_engine
from poser_web.models import DatasyncChange, DatasyncConsumer
from poser_web.tables.widgets.models import Widget
from tests.datasync_support import (
    add_widgets,
    fresh,
    last_change,
    reset,
    run_in_thread,
    settings_for,
    writer,
)
from tests.sample.models import Specimen, SpecimenPart
from tests.waiting import wait_until

URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture(scope="module")
def source_url(scratch_databases):
    return fresh(scratch_databases)   # with the test-only Specimen tables


@pytest.fixture
def source(source_url):
    engine = get_engine({"sqlalchemy.url": source_url})
    reset(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:8]
    exchange, queue = f"poser.test.{suffix}", f"poser.test.{suffix}"
    yield exchange, queue
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    channel.queue_delete(queue)
    channel.exchange_delete(exchange)
    connection.close()


def drain(queue):
    """Every message in the queue: (properties, body as JSON)."""
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    messages = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        messages.append((method, properties, json.loads(body)))
    connection.close()
    return messages


def consumer_options(names):
    exchange, queue = names
    return {"events": {"type": "amqp", "url": URL, "exchange": exchange, "queue": queue}}


def test_each_change_is_a_persistent_json_message_with_the_change_id(source, names):
    first, second = add_widgets(source, 2, components=2)
    with writer(source) as session:
        session.delete(session.get(Widget, second))
        session.commit()
    settings = settings_for(source.url.render_as_string(hide_password=False), consumer_options(names))
    assert Daemon(settings).run(until_idle=True, install_signals=False) == 0
    messages = drain(names[1])
    assert [int(p.message_id) for _, p, _ in messages] == change_ids(source)
    assert all(p.delivery_mode == 2 and p.content_type == "application/json" for _, p, _ in messages)
    by_key = {}
    for method, _, body in messages:
        assert method.routing_key == f"widget.{body['action']}"
        by_key.setdefault(body["key"], []).append(body)
    assert by_key[first][-1]["record"]["description"] == "w0"
    assert len(by_key[first][-1]["record"]["components"]) == 2
    assert by_key[second][-1] == {**by_key[second][-1], "action": "delete", "record": None}


def test_messages_name_the_entity_and_its_table(source, names):
    (widget,) = add_widgets(source, 1, components=1)
    with writer(source) as session:
        specimen = Specimen(name="Messaged", widget_uuid=widget,
                            parts=[SpecimenPart(code="A"), SpecimenPart(code="B")])
        session.add(specimen)
        session.commit()
        key = specimen.uuid
    settings = settings_for(source.url.render_as_string(hide_password=False), consumer_options(names))
    assert Daemon(settings).run(until_idle=True, install_signals=False) == 0
    named = {body["key"]: (method.routing_key, properties.type, properties.headers["table"],
                           body["entity"], body["table"])
             for method, properties, body in drain(names[1])}
    assert named == {
        widget: ("widget.upsert", "widget", "poser_widget", "widget", "poser_widget"),
        key: ("test_specimen.upsert", "test_specimen", "poser_test_specimen", "test_specimen",
              "poser_test_specimen")}


def change_ids(engine):
    with engine.connect() as connection:
        return list(connection.scalars(select(DatasyncChange.id).order_by(DatasyncChange.id)))


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def test_a_broker_restart_mid_stream_loses_nothing(source, names):
    settings = settings_for(source.url.render_as_string(hide_password=False), consumer_options(names))
    daemon = Daemon(settings)
    thread = run_in_thread(daemon)

    def cursor():
        with source.connect() as connection:
            return connection.scalar(select(DatasyncConsumer.cursor))

    def wait_for(condition, seconds=60):
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.1)
        return condition()

    try:
        add_widgets(source, 5, prefix="before")
        assert wait_for(lambda: cursor() == last_change(source))
        failed_before = daemon.workers[0].failures
        rabbitmqctl("stop_app")
        try:
            add_widgets(source, 5, prefix="while down")
            wait_until(lambda: daemon.workers[0].failures > failed_before,
                       "the daemon to fail to publish to the stopped broker", seconds=60)
            assert cursor() < last_change(source)    # nothing confirmed, nothing passed
        finally:
            rabbitmqctl("start_app")
        add_widgets(source, 5, prefix="after")
        assert wait_for(lambda: cursor() == last_change(source))
    finally:
        daemon.stop()
        thread.join(30)
    ids = {int(p.message_id) for _, p, _ in drain(names[1])}
    assert ids == set(change_ids(source))   # duplicates are allowed (at-least-once), losses not
