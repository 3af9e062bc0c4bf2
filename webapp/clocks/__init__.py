"""Time-limit clocks: started, paused, extended and stopped by events; recomputable from them."""
