"""What a table's batch types (its import, its bulk change) share: made from its TableSpec."""
from .handler import BatchHandler


class TableHandler(BatchHandler):
    """A batch type of one table. Subclasses set `kind` (the key's suffix) and `noun`."""

    kind = None  # "import": the type's key is "<entity>_import"
    noun = None  # "import": the type's title is "<table title> import"

    def __init__(self, spec):
        self.spec = spec
        self.key = f"{spec.entity}_{self.kind}"
        self.title = f"{spec.title} {self.noun}"
        self.entity = spec.entity
        self.table = spec.table
        self.versioned = spec.versioned
        self.list_page = spec.name
