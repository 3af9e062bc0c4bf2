"""Cases: persisted workflow instances, their tasks, timers and history, and the inbox."""
