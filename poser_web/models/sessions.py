"""Server-side login sessions: the cookie holds only a random token, the row holds the rest."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .auth import utcnow
from .meta import Base


class ServerSession(Base):
    """
    One browser's session: who is logged in, its CSRF token and flash messages.
    """

    __tablename__ = "poser_session"

    id: Mapped[str] = mapped_column(
        String(64), primary_key=True,
        doc="HMAC-SHA256 (hex) of the cookie's random token; the token itself is never stored.")
    user_uuid: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("poser_user.uuid", ondelete="CASCADE"), index=True,
        doc="User logged in with this session; empty before login.")
    data: Mapped[str] = mapped_column(Text, nullable=False, default="{}",
                                      doc="JSON: CSRF token, flash messages.")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 index=True, doc="When it began (UTC).")
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, index=True,
        doc="Last request with it (UTC, to the minute); idle sessions end.")
