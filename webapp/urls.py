"""URL routes (the inbox arrives with the cases app)."""

urlpatterns: list = []
