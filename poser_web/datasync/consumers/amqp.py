"""Consumer `amqp`: each change as a JSON message to a RabbitMQ exchange (needs `pika`:
`pip install 'poser-web[amqp]'`).

At-least-once: messages are persistent, published with publisher confirms (a publish returns
only once the broker has them), and the cursor moves only after the whole batch is confirmed.
A crash or a lost connection can repeat messages, never lose one: the message id is the change
id, so receivers drop duplicates.

Message: routing key `<entity>.<upsert|delete>`, content type application/json, type the
entity, header `table` its table, body {"change_id", "entity", "table", "key", "action",
"changed_at", "record"} where record is the whole record now (with a list of rows per
child relationship), null for a delete.

Options: url (or url_env), default amqp://guest:guest@127.0.0.1:5672/%2F; exchange (default
poser.datasync, a durable topic exchange); queue (optional: a durable queue declared and bound
to every routing key, so nothing is dropped before a receiver exists).
"""
import json
import os

from ..entities import entity
from .base import ChangeFailed, Consumer, Unavailable

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def table_of(change):
    return entity(change.entity).table.name


def message(change):
    return {"change_id": change.id, "entity": change.entity, "table": table_of(change),
            "key": change.key,
            "action": "delete" if change.record is None else "upsert",
            "changed_at": change.changed_at.isoformat() if change.changed_at else None,
            "record": change.record}


class AmqpConsumer(Consumer):
    kind = "amqp"

    def __init__(self, name, options, source_engine):
        super().__init__(name, options, source_engine)
        variable = options.get("url_env")
        self.url = (os.environ.get(variable) if variable else None) or options.get("url") or DEFAULT_URL
        self.exchange = options.get("exchange") or "poser.datasync"
        self.queue = options.get("queue") or None
        self.connection = self.channel = None

    def open(self):
        import pika

        if self.channel is not None and self.channel.is_open:
            return
        self.close()
        try:
            self.connection = pika.BlockingConnection(pika.URLParameters(self.url))
            channel = self.connection.channel()
            channel.confirm_delivery()
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            if self.queue:
                channel.queue_declare(self.queue, durable=True)
                channel.queue_bind(self.queue, self.exchange, routing_key="#")
            self.channel = channel
        except pika.exceptions.AMQPError as error:
            self.close()
            raise Unavailable(f"broker {self.describe()}: {error!r}") from None

    def describe(self):
        return self.url.split("@")[-1]

    def close(self):
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # already broken: nothing to tidy
                pass

    def apply(self, changes, cursor):
        import pika

        self.open()
        for change in changes:
            body = json.dumps(message(change), default=str, sort_keys=True).encode()
            properties = pika.BasicProperties(
                content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent,
                message_id=str(change.id), type=change.entity,
                headers={"table": table_of(change)})
            routing_key = f"{change.entity}.{'delete' if change.record is None else 'upsert'}"
            try:
                self.channel.basic_publish(self.exchange, routing_key, body, properties,
                                           mandatory=bool(self.queue))
            except (pika.exceptions.UnroutableError, pika.exceptions.NackError) as error:
                raise ChangeFailed(change, f"broker refused the message: {error!r}") from None
            except pika.exceptions.AMQPError as error:
                self.close()
                raise Unavailable(f"broker {self.describe()}: {error!r}") from None
