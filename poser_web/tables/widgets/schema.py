"""Colander schema of the widget form, components edited inline."""
import colander
import deform

from ...forms import checkbox_node, inline_rows, key_node, text_node

# Server-side limit of components per widget.
MAX_COMPONENTS = 200


def component_row():
    row = colander.SchemaNode(
        colander.Mapping(), name="component", title="Component",
        widget=deform.widget.MappingWidget(template="mapping_row_cells"),
    )
    row.add(key_node())
    row.add(text_node("item_code", "Item Code", 20, in_row=True))
    row.add(text_node("description", "Description", 255, in_row=True))
    row.add(checkbox_node("active", "Active"))
    return row


def widget_schema():
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(text_node("description", "Description", 255))
    schema.add(checkbox_node("active", "Active"))
    schema.add(inline_rows(
        "components", "Components", component_row(), MAX_COMPONENTS, "Add Component",
        parent_collection=lambda widget: widget.components,
    ))
    return schema
