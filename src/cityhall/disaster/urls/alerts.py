"""Pages under /alerts/."""

urlpatterns = []
