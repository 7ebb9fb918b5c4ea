"""Widget and Component, Poser's first tables: the models, their master views and the widget
form's schema (components edited inline)."""


def includeme(config):
    config.include(".views")
