-- The first change of a tenant's settings, found by one index lookup.
--
-- A tenant's settings live in the directory, and each change of them is an event of its
-- log (okr.SettingsChange.Created, with every setting before and after). A view as of an
-- instant before the first change is shown with the check-in cadence that change
-- replaced: services.read.progress reads it on every as-of view whose log had not set a
-- cadence yet, which is most of them. Without this index that read walked the tenant's
-- whole log for a topic it rarely holds. Partial: it holds those events alone.
CREATE INDEX events_settings_changes ON events (tenant_id, position)
    WHERE topic = 'okr.SettingsChange.Created';
