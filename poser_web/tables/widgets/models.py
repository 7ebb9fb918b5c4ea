"""Widget and Component: Poser's first custom tables, as documented upstream."""
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...models.meta import Base, uuid_column
from ...models.mixins import Audited, Versioned


class Widget(Versioned, Audited, Base):
    """
    Represents a widget.
    """

    __tablename__ = "poser_widget"
    # Sorts end with uuid (the tie-breaker): these let a page's keys come from
    # the index alone, however deep the page.
    __table_args__ = (
        Index("ix_poser_widget_description_uuid", "description", "uuid"),
        Index("ix_poser_widget_active_description_uuid", "active", "description", "uuid"),
        Index("ix_poser_widget_component_count_uuid", "component_count", "uuid"),
    )

    # History and the version cover the widget's components too (models/mixins.py);
    # the stored count is the database's business, not a change anyone made.
    __audit_children__ = ("components",)
    __audit_exclude__ = ("component_count",)
    # How many components: kept by the database for every writer (models/stored_counts.py).
    __stored_counts__ = {"component_count": "components"}
    # Every change reaches the datasync consumers, components included (docs/datasync.md).
    __datasync__ = True

    uuid: Mapped[str] = uuid_column()

    description: Mapped[str] = mapped_column(
        String(255), nullable=False, info={"search": True}, doc="Description for the widget."
    )

    active: Mapped[bool] = mapped_column(
        Boolean,
        nullable=False,
        index=True,
        default=True,
        server_default=true(),
        doc="Flag indicating whether the widget is currently \"active\".",
    )

    component_count: Mapped[int] = mapped_column(
        Integer,
        nullable=False,
        server_default="0",
        doc="How many components the widget has. A declared stored count "
        "(__stored_counts__): database triggers keep it for every writer, bulk writers "
        "keep it themselves (models/stored_counts.py). Read it, never set it.",
    )

    components: Mapped[list["Component"]] = relationship(
        back_populates="widget",
        cascade="all, delete-orphan",
        order_by="Component.item_code",
        doc="List of components for the widget.",
    )

    def __str__(self):
        return self.description or ""


class Component(Base):
    """
    Represents a component of a widget.
    """

    __tablename__ = "poser_component"
    __table_args__ = (Index("ix_poser_component_item_code_uuid", "item_code", "uuid"),)

    uuid: Mapped[str] = uuid_column()

    widget_uuid: Mapped[str] = mapped_column(
        String(32),
        ForeignKey("poser_widget.uuid", name="poser_component_fk_widget"),
        nullable=False,
        index=True,
        doc="UUID of the widget to which this component belongs.",
    )

    widget: Mapped[Widget] = relationship(
        back_populates="components",
        doc="Reference to the widget to which this component belongs.",
    )

    item_code: Mapped[str] = mapped_column(
        String(20), nullable=False, info={"search": True}, doc="Item code for the component."
    )

    description: Mapped[str] = mapped_column(
        String(255), nullable=False, index=True, info={"search": True},
        doc="Description for the component."
    )

    active: Mapped[bool] = mapped_column(
        Boolean,
        nullable=False,
        index=True,
        default=True,
        server_default=true(),
        doc="Flag indicating whether the component is currently \"active\".",
    )

    def __str__(self):
        return self.description or ""
