"""Pages under /shelters/."""

urlpatterns = []
