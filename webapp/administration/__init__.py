"""Force administration: the force, its teams and units, its people and their roles, its
time-limit profiles and the schemes it runs; a national administrator creates forces."""
