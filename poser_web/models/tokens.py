"""API tokens: a user's named keys for the JSON API (auth/tokens.py issues and checks them)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .auth import User, utcnow
from .meta import Base, uuid_column


class ApiToken(Base):
    """One API token of a user. Only its SHA-256 is kept: the token itself is shown once."""

    __tablename__ = "poser_api_token"

    uuid: Mapped[str] = uuid_column()
    user_uuid: Mapped[str] = mapped_column(
        String(32), ForeignKey("poser_user.uuid", ondelete="CASCADE"), nullable=False, index=True,
        doc="The user the token acts as (with that user's permissions).")
    name: Mapped[str] = mapped_column(String(100), nullable=False,
                                      doc="What the token is for, e.g. 'nightly export script'.")
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True,
                                            doc="SHA-256 of the token, hex.")
    prefix: Mapped[str] = mapped_column(String(16), nullable=False,
                                        doc="The token's first characters, to tell tokens apart.")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 doc="When it was made (UTC).")
    created_by: Mapped[str | None] = mapped_column(String(50), doc="Who made it.")
    last_used_at: Mapped[datetime | None] = mapped_column(
        DateTime, doc="When it was last used (UTC), to the hour: for spotting unused tokens.")

    user: Mapped[User] = relationship()
