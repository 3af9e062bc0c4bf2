from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "webapp.clocks"
    label = "clocks"
    verbose_name = "Time-limit clocks"
