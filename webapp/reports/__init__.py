"""A decision maker's dashboard: stages, clocks, breaches, met-rates and the funnel."""
