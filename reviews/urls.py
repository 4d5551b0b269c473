from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("attachments/<int:pk>/preview/", views.attachment_preview, name="attachment_preview"),
    path("attachments/<int:pk>/thumbnail/", views.attachment_thumbnail, name="attachment_thumbnail"),
]
