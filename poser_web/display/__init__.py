"""Values as people read them: formats by column type, the display time zone, what a record
and a table are called."""
