"""One stream's live plumbing: the controller, the table models, arrival queue / drain / paint
pacing, the raw buffer and the recording spool. May import ``gui.services`` and the engine;
no widgets above a table view."""
