"""Who may act on a batch: the user who made it, or whoever holds `batches.manage`.

Refreshing, removing rows, executing, deleting and downloading the file of someone else's
batch need `batches.manage` beside the action's own permission; downloading the file also
needs view permission on the batch's table (`<table>.view`), as the records' own pages
would. Each function says why not (a message for the page), or None. It lives in views/
(not batch/) because it reads the request's identity and permissions.
"""
MANAGE = "batches.manage"
MANAGE_DESCRIPTION = "Refresh, execute, delete or download other people's batches"
# The actions of the batch pages that change or hand over someone's batch.
GUARDED = ("create", "execute", "delete")


def is_owner(request, batch):
    identity = request.identity
    return identity is not None and batch.created_by is not None and \
        batch.created_by == identity.username


def denied(request, batch, doing):
    """Why the user may not `doing` (e.g. "execute") `batch`, or None."""
    if is_owner(request, batch) or request.has_permission(MANAGE):
        return None
    owner = batch.created_by or "nobody's (made on the command line)"
    owner = f"{owner}'s" if batch.created_by else owner
    return (f"Batch {batch.number} is {owner}: to {doing} someone else's batch you need the "
            f"{MANAGE} permission. Nothing was done.")


def download_denied(request, batch, handler):
    """Why the user may not download `batch`'s file, or None."""
    problem = denied(request, batch, "download the file of")
    if problem:
        return problem
    spec = getattr(handler, "spec", None)  # the table its rows are records of
    permission = spec.permission("view") if spec is not None else None
    if permission and not request.has_permission(permission):
        return (f"The file of batch {batch.number} holds records of a table you may not see "
                f"(it needs {permission}).")
    return None


def allowed_actions(request, batch, actions):
    """`actions` less those the buttons of someone else's batch would be refused."""
    if is_owner(request, batch) or request.has_permission(MANAGE):
        return actions
    return [action for action in actions if action not in GUARDED]
