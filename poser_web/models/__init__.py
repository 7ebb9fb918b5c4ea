"""The framework's own tables (accounts, sessions, history, batches, datasync) and the mixins
tables opt into. The project's tables live in `poser_web.tables`; the engine and the
per-request session in `poser_web.db`."""
from . import rules  # noqa: F401 (first: its listener sees every table's columns)
from .audit import make_change, record_changes  # noqa: F401
from .auth import LoginFailure, Role, RolePermission, User, user_roles, utcnow  # noqa: F401
from .batch import Batch, BatchRow  # noqa: F401
from .change_grouping import one_change_per_record  # noqa: F401
from .datasync import DatasyncChange, DatasyncConsumer, DatasyncCursor, DatasyncParked  # noqa: F401
from .history import Change  # noqa: F401
from .meta import ALEMBIC_VERSION_TABLE, TABLE_PREFIX, Base, new_uuid, uuid_column  # noqa: F401
from .mixins import Audited, Versioned  # noqa: F401
from .sessions import ServerSession  # noqa: F401
from .versioning import bump_versions  # noqa: F401
from .tokens import ApiToken  # noqa: F401
