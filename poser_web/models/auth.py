"""Users, roles and per-action permissions; failed logins for throttling."""
import hashlib
from datetime import datetime, timezone

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, String, Table, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, uuid_column


def utcnow():
    """Naive UTC now: what DateTime columns store on every database."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


user_roles = Table(
    "poser_user_role",
    Base.metadata,
    Column("user_uuid", String(32), ForeignKey("poser_user.uuid", ondelete="CASCADE"),
           primary_key=True),
    Column("role_uuid", String(32), ForeignKey("poser_role.uuid", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class User(Base):
    """
    Someone who may log in to the admin.
    """

    __tablename__ = "poser_user"

    uuid: Mapped[str] = uuid_column()
    username: Mapped[str] = mapped_column(String(50), nullable=False, unique=True,
                                          doc="Name the user logs in with.")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False,
                                               doc="Salted slow hash (argon2) of the password.")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                         server_default=true(),
                                         doc="Inactive users cannot log in.")
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false(),
        doc="The password is a temporary one: the user must choose their own at next login.")
    roles: Mapped[list["Role"]] = relationship(secondary=user_roles, back_populates="users",
                                               doc="Roles that grant the user permissions.")

    def __str__(self):
        return self.username

    @property
    def session_fingerprint(self):
        """Changes whenever the password does, ending every other session."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:32]


class Role(Base):
    """
    A named set of permissions.
    """

    __tablename__ = "poser_role"

    uuid: Mapped[str] = uuid_column()
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True,
                                      doc="Name of the role.")
    grants_all: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false(),
        doc="The role has every permission, including ones added later (administrators).")
    users: Mapped[list[User]] = relationship(secondary=user_roles, back_populates="roles",
                                             doc="Users who have the role.")
    permissions: Mapped[list["RolePermission"]] = relationship(
        cascade="all, delete-orphan", back_populates="role",
        doc="Permissions the role grants.")

    def __str__(self):
        return self.name


class RolePermission(Base):
    """
    One permission (named after a view, e.g. ``widgets.edit``) granted to a role.
    """

    __tablename__ = "poser_role_permission"

    role_uuid: Mapped[str] = mapped_column(
        String(32), ForeignKey("poser_role.uuid", ondelete="CASCADE"), primary_key=True,
        doc="Role that has the permission.")
    permission: Mapped[str] = mapped_column(String(100), primary_key=True,
                                            doc="Name of the permission.")
    role: Mapped[Role] = relationship(back_populates="permissions", doc="Role that has it.")


class LoginFailure(Base):
    """
    A failed login, kept for a while to slow down password guessing.
    """

    __tablename__ = "poser_login_failure"

    uuid: Mapped[str] = uuid_column()
    username: Mapped[str] = mapped_column(String(50), nullable=False, index=True,
                                          doc="Username that was tried.")
    address: Mapped[str] = mapped_column(String(64), nullable=False, index=True,
                                         doc="Who tried: `device:<id>` for a browser trusted for "
                                             "the account, else the client address.")
    attempted_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                   index=True, doc="When it happened (UTC).")
