-- The weekly dispatch meeting is a county's meeting: its agenda, minutes and directions cover that county only.
-- Meetings recorded before have no county (they listed every county's petitions).
ALTER TABLE meetings ADD COLUMN county text;
CREATE INDEX meetings_county_held_on ON meetings (county, held_on DESC);
