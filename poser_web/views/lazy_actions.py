"""A view's available actions, worked out when a template first reads them."""


class LazyActions:
    """`view.available_actions()`, asked for when first read: a page whose template reads no
    action (the create and edit forms) skips a permission check per action, 0.14 M
    instructions of an edit page. A sequence as the list is (`in`, iteration, len, index,
    ==)."""

    def __init__(self, view):
        self._view, self._actions = view, None

    def _list(self):
        if self._actions is None:
            self._actions = self._view.available_actions()
        return self._actions

    def __contains__(self, action):
        return action in self._list()

    def __iter__(self):
        return iter(self._list())

    def __len__(self):
        return len(self._list())

    def __getitem__(self, index):
        return self._list()[index]

    def __eq__(self, other):
        return self._list() == (other._list() if isinstance(other, LazyActions) else other)

    __hash__ = None

    def __repr__(self):
        return repr(self._list())
