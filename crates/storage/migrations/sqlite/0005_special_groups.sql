-- Special groups the monthly report counts (trafficking victims, left-behind children…).
ALTER TABLE persons ADD COLUMN special_groups TEXT NOT NULL DEFAULT '';
