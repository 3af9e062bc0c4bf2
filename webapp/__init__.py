"""The Django project: settings, URLs and the apps officers and policy leads use."""
