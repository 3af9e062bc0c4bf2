"""Suite-wide settings: keep SpiffWorkflow's chatty INFO logging (with task data) out of tests."""

import logging

logging.getLogger("spiff").setLevel(logging.WARNING)
