"""What the user and role pages share, and the first-login password change.

- `AccountPages`: mixed into a MasterView whose every page needs one
  permission (`users.manage`, `roles.manage`) instead of one per action;
  forms re-rendered with the problem (400) instead of saving what the
  account rules refuse; a record holding more than the logged-in user
  (`reach_problem`) is shown without its buttons and refused (403) by the
  pages that change it; the record's history on its page.
- A user whose password is a temporary one is sent to /password from every
  page until they have chosen their own (`send_to_password_change`).
"""
import deform
from pyramid.events import ContextFound
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from sqlalchemy.exc import IntegrityError

from ..auth.accounts import history
from ..auth.permissions import register as register_permission
from ..forms import make_form

# Set in the session at login when the user's password is a temporary one.
SESSION_MUST_CHANGE = "auth.must_change_password"
# What such a user may still reach (static files are routes named "__...").
ALLOWED_BEFORE_CHANGE = frozenset({"password", "logout", "login"})

TEMPLATES = {"view": "accounts/view.pt", "create": "accounts/form.pt",
             "edit": "accounts/form.pt", "delete": "accounts/confirm.pt"}


class AccountPages:
    permission = None  # e.g. "users.manage": needed by every page of the view
    permission_description = None
    history_entity = None  # Change.entity of these records

    @classmethod
    def permission_name(cls, action):
        """The permission a page (list, view, edit...) needs: the same one for all."""
        return cls.permission

    @classmethod
    def _add(cls, config, attr, route_name, action, template, request_method=("GET", "POST")):
        register_permission(config, cls.permission, cls.permission_description)
        template = TEMPLATES.get(action, template)
        config.add_view(
            cls, attr=attr, route_name=route_name, request_method=request_method,
            renderer=f"poser_web:templates/{template}" if template else None,
            permission=cls.permission_name(action),
        )

    @classmethod
    def add_page(cls, config, action, attr, template, request_method=("GET", "POST")):
        """One more page on a record: `/<prefix>/{uuid}/<action>`, route `<prefix>.<action>`."""
        route_name = f"{cls.route_prefix}.{action}"
        config.add_route(route_name, cls.url_prefix + "/{uuid}/" + action)
        cls._add(config, attr, route_name, action, template, request_method)

    def available_actions(self):
        if not self.request.has_permission(self.permission):
            return []
        return ["list", "view", "export", "create", "edit", "delete"] + self.extra_actions

    extra_actions = []

    def view_page(self):
        instance = self.get_instance()
        out_of_reach = self.reach_problem(instance)
        actions = [a for a in self.available_actions()
                   if not out_of_reach or a not in ("edit", "delete")]
        return self.page_context(instance=instance, fields=self.view_fields(instance),
                                 groups=self.view_groups(instance), actions=actions,
                                 buttons=[] if out_of_reach else self.view_buttons(instance),
                                 note=out_of_reach,
                                 changes=history(self.db, self.history_entity, instance.uuid))

    def reach_problem(self, instance):
        """Why the logged-in user may not change `instance` (it holds more than they do), or None."""
        return None

    def changeable_instance(self):
        """The record the URL names, when the logged-in user may change it (else 403, saying why)."""
        instance = self.get_instance()
        problem = self.reach_problem(instance)
        if problem:
            raise HTTPForbidden(problem)
        return instance

    def view_groups(self, instance):
        """Lists on the view page: (title, text when empty, [(text, url or None)])."""
        return []

    def view_buttons(self, instance):
        """Buttons beside Edit and Delete: (label, url, Bootstrap button class)."""
        return []

    def form_note(self, instance):
        """A line above the form, e.g. why some of it cannot be changed."""
        return None

    # Our own form flow (not MasterView's): account rules, history and temporary passwords.
    def create_page(self):
        return self.account_form_page(None)

    def edit_page(self):
        return self.account_form_page(self.changeable_instance())

    def account_form_page(self, instance):
        form = make_form(self.schema(), self.request, instance=instance, formid="master-form")
        values = dict(instance=instance, note=self.form_note(instance))
        # Cancel beside Save: back to the account (or the list, for a new one).
        cancel = {"cancel_url": self.route("view", instance) if instance is not None else self.route()}
        if self.request.method == "POST":
            try:
                appstruct = form.validate(list(self.request.POST.items()))
            except deform.ValidationFailure as failure:
                self.request.response.status = 400
                return self.page_context(form=failure.render(**cancel), **values)
            try:
                with self.db.begin_nested():  # a clash rolls back this save only
                    return self.save(appstruct, instance)
            except IntegrityError:
                # Someone saved the same name between our check and our insert.
                self.request.response.status = 409
                values["note"] = (f"Not saved: another {self.title.lower()} with that name was "
                                  "saved at the same moment. Choose another name.")
                return self.page_context(form=form.render(appstruct, **cancel), **values)
        appstruct = self.to_appstruct(instance) if instance is not None else {}
        return self.page_context(form=form.render(appstruct, **cancel), **values)

    def save(self, appstruct, instance):
        """Apply a validated form (instance None: create); returns the response."""
        raise NotImplementedError

    def confirm(self, instance, title, message, button, refusal=None, danger=True):
        """Values of the confirmation page (accounts/confirm.pt); `refusal`: why it cannot be done."""
        return self.page_context(instance=instance, title=title, message=message, button=button,
                                 refusal=refusal, danger=danger,
                                 action=self.request.path_url)

    def refuse(self, instance, title, message, refusal):
        """A POST the rules refuse (409): the confirmation page with the reason, nothing saved."""
        self.request.response.status = 409
        return self.confirm(instance, title, message, None, refusal=refusal)

    def done(self, message, instance=None):
        self.flash(message)
        return HTTPSeeOther(self.route("view", instance) if instance is not None else self.route())


def remember_password_must_change(request, user):
    """At login: a user with a temporary password goes to /password first (returns that redirect)."""
    if not user.must_change_password:
        return None
    request.session[SESSION_MUST_CHANGE] = True
    request.session.flash("Your password is a temporary one: choose your own to go on.", "success")
    return HTTPSeeOther(request.route_url("password"))


def send_to_password_change(event):
    """Every other page redirects to /password until the temporary password is changed."""
    request = event.request
    route = request.matched_route
    if route is None or route.name.startswith("__") or route.name in ALLOWED_BEFORE_CHANGE:
        return
    if request.session.get(SESSION_MUST_CHANGE):
        raise HTTPSeeOther(request.route_url("password"))


def includeme(config):
    config.add_subscriber(send_to_password_change, ContextFound)
